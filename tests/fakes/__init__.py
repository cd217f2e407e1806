"""Fakes of the outside world for tests: the Telegram Bot API over HTTP."""
