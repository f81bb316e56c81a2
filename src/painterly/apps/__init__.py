"""The front-ends. Each imports the engine and media, never another front-end; `cli` only routes a command's
first word to the front-end that handles it."""
