"""PDF documents (decision letters, contracts, acts, invoices): see docs/pdf.md."""
