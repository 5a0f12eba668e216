-- The current version of every invoice and credit note: the latest extraction wins
-- (then the latest ingestion, then the later line of the same file).
with source as (
    select * from raw.invoices
),

ranked as (
    select
        *,
        row_number() over (
            partition by coalesce(issuer_id, ''), invoice_number
            order by extracted_at desc, ingested_at desc, source_line desc
        ) as version_rank
    from source
)

select
    issuer_id,
    invoice_number,
    document_type,
    customer_id,
    issue_date,
    delivery_date,
    due_date,
    amount_excl_tax,
    tax_amount,
    amount_incl_tax,
    currency,
    purchase_order,
    original_invoice_number,
    description,
    attachments,
    source_file,
    source_line,
    extracted_at
from ranked
where version_rank = 1
