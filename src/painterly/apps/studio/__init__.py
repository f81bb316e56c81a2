"""`painterly studio`: a local web page for painting with a live preview.

server.py: the command and the app's assembly; guard.py: the Host/Origin guard; routes/: the HTTP handlers (pages,
uploads, jobs, results); job_request.py: a page's request -> a StyleConfig; gallery.py: a result as the gallery
shows it; hub.py: the worker's wake-up for the event streams; jobs.py: the queue and its worker; store.py: the
studio folder; static/: the page."""
