"""Thin Telegram glue: handlers, rendering, jobs and transports."""
