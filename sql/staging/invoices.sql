-- The current version of every invoice and credit note: the latest extraction wins
-- (then the latest ingestion, then the later line of the same file). Invoices exported once (most of
-- them) are taken as they are; only those seen in several extractions are ranked.
with source as (
    select * from raw.invoices
),

repeated_keys as (
    select coalesce(issuer_id, '') as issuer_key, invoice_number
    from source
    group by all
    having count(*) > 1
),

seen_once as (
    select source.*, 1 as version_rank
    from source
    anti join repeated_keys
        on repeated_keys.issuer_key = coalesce(source.issuer_id, '')
        and repeated_keys.invoice_number = source.invoice_number
),

seen_again as (
    select
        source.*,
        row_number() over (
            partition by coalesce(issuer_id, ''), invoice_number
            order by extracted_at desc, ingested_at desc, source_line desc
        ) as version_rank
    from source
    semi join repeated_keys
        on repeated_keys.issuer_key = coalesce(source.issuer_id, '')
        and repeated_keys.invoice_number = source.invoice_number
),

ranked as (
    select * from seen_once
    union all
    select * from seen_again
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
    extracted_at,
    -- appended last, so readers taking the columns by position are not shifted
    billing_channel,
    -- what the e-invoice needs beyond the receivable: discounts, charges, the VAT in euros, the delivery
    discount_amount,
    shipping_amount,
    tax_amount_eur,
    exchange_rate,
    delivery_name,
    delivery_address_line1,
    delivery_address_line2,
    delivery_postcode,
    delivery_city,
    upper(delivery_country) as delivery_country
from ranked
where version_rank = 1
