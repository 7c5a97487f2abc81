"""The ``newsdesk`` command line: a thin shell over the library (parse, call one function, print)."""
