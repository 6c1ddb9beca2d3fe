"""The fleet page: ``tasseograph dashboard``, a read-only web page over the runner's state.

* ``queries``: every read of the state, on a read-only connection (the only SQL of the page).
* ``pages``: what each page shows (host status, grouping, health, timelines), as plain data.
* ``filters``: the findings list's filters from the query string.
* ``plots``: the host page's rate plots (matplotlib to an inlined SVG).
* ``app``: the Starlette application (routes, templates, error pages, security headers).
* ``server``: the listen address, the socket and uvicorn; ``cli``: the command.
"""
