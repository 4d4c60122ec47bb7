"""Presenting results to people: numbers in the reader's language, tables, charts, the report.

Computing modules return canonical columns and plain numbers; only this package (and the
notebooks, through it) formats, translates and draws them.
"""
