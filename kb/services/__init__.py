"""The verbs of kb. Each takes a Session; none commits, prints or exits."""
