-- Disputes as last exported, one per invoice and opening date.
with source as (
    select * from raw.disputes
),

ranked as (
    select
        *,
        row_number() over (
            partition by invoice_number, coalesce(opened_on, date '0001-01-01')
            order by extracted_at desc, ingested_at desc, source_line desc
        ) as version_rank
    from source
)

select
    invoice_number,
    customer_id,
    opened_on,
    reason,
    disputed_amount,
    resolved_on,
    source_file,
    extracted_at
from ranked
where version_rank = 1
