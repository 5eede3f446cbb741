"""Project tooling that no notebook teaches: ``make run`` (runner), ``make lessons`` (lessons), bench reports."""
