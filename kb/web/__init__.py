"""`kb serve`: the knowledge base in a browser (Starlette, Jinja2, a vendored htmx).

Routes parse the request, call the services the CLI calls, and render a template; nothing
here holds a rule of its own about claims, sources or evidence.
"""
