"""Office documents: safe reading of OOXML packages and PDF/A export through LibreOffice.

Public surface: :mod:`sopflow.documents.ooxml` (bounded .docx/.xlsx checks) and
:mod:`sopflow.documents.pdf_export` (headless LibreOffice, PDF/A).
"""
