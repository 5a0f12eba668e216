-- Payments received, allocated to an invoice or not. An export without payment ids gets a stable id
-- from the payment's content, so the same payment in two exports is counted once.
with source as (
    select
        *,
        coalesce(
            payment_id,
            'auto-' || substr(md5(concat_ws('|', customer_id, invoice_number, payment_date, amount, currency,
                                            reference)), 1, 16)
        ) as resolved_payment_id
    from raw.payments
),

ranked as (
    select
        *,
        row_number() over (
            partition by resolved_payment_id
            order by extracted_at desc, ingested_at desc, source_line desc
        ) as version_rank
    from source
)

select
    resolved_payment_id as payment_id,
    customer_id,
    invoice_number,
    payment_date,
    amount,
    currency,
    method,
    reference,
    source_file,
    source_line,
    extracted_at
from ranked
where version_rank = 1
