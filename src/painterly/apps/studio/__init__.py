"""`painterly studio`: a local web page for painting with a live preview (server.py: HTTP; jobs.py: the queue and
its worker; store.py: the studio folder; static/: the page)."""
