"""The command line: parse, call a service, present. ``liucheng --help`` lists the commands."""
