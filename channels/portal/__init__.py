"""The customer portal: signed links and API keys give each customer (and only that customer) its open and
paid invoices, statement of account and files; disputes and payment promises are recorded as events.

Plain Python + an ASGI app (Starlette). Invoice data comes only from the serving snapshot; files come from
the document index and the DocumentStore; every access is an event in the operational store."""
