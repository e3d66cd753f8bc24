"""`python -m bench COMMAND`: the command-line face of the API."""
