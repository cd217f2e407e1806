"""Pure rules: parsing, safety screen, schedule math, time zones. No I/O, no Telegram, no SQL."""
