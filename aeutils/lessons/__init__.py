"""Modules generated from the notebooks' ``#| export`` cells by ``make lessons`` (nbdev).

Do not edit the ``nbNN_*.py`` files here: edit the notebook named in each file's first line, then run
``make lessons``. ``tests/test_lessons.py`` fails when a generated file is stale.
"""
