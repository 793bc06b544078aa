"""Test harness for the interop suite: the server process, SMTP and SMS sinks, Notify helpers."""

# Lines printed at the end of the pytest run (the crash test reports its counts here).
SUMMARY: list[str] = []
