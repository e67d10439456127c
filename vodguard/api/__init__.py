"""HTTP only: the API 3.0 endpoint and its actions, the object endpoint, media serving, the console.

Handlers validate, call services, and shape responses. No SQL and no decoding here, and no import of ``store/``:
what a handler needs of the database is a service.
"""
