-- Every accepted version of an invoice: a row each time an export showed it with different values.
-- An unchanged invoice in tomorrow's export adds no version; valid_to is when the next version appeared.
with source as (
    select
        *,
        md5(concat_ws('|', document_type, customer_id, issue_date, delivery_date, due_date, amount_excl_tax,
                      tax_amount, amount_incl_tax, currency, purchase_order, original_invoice_number,
                      description, array_to_string(attachments, '|'))) as content_hash
    from raw.invoices
),

ordered as (
    select
        *,
        lag(content_hash) over (
            partition by coalesce(issuer_id, ''), invoice_number
            order by extracted_at, ingested_at, source_line
        ) as previous_hash
    from source
),

versions as (
    select * from ordered
    where previous_hash is null or previous_hash <> content_hash
)

select
    issuer_id,
    invoice_number,
    row_number() over (
        partition by coalesce(issuer_id, ''), invoice_number order by extracted_at, ingested_at, source_line
    ) as version,
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
    extracted_at as valid_from,
    lead(extracted_at) over (
        partition by coalesce(issuer_id, ''), invoice_number order by extracted_at, ingested_at, source_line
    ) as valid_to,
    source_file,
    source_line,
    file_sha256,
    ingested_at
from versions
