"""crmlib: the package behind the CRM analytics workbook."""

__version__ = "0.1.0"
