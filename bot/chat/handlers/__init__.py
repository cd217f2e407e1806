"""Update handlers: parse, call a service, render, reply."""
