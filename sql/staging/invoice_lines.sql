-- Invoice lines as last exported: the latest extraction of (invoice, line) wins.
with source as (
    select * from raw.invoice_lines
),

ranked as (
    select
        *,
        row_number() over (
            partition by invoice_number, line_number
            order by extracted_at desc, ingested_at desc, source_line desc
        ) as version_rank
    from source
)

select
    invoice_number,
    line_number,
    description,
    quantity,
    unit_price,
    cast(vat_rate as decimal(5, 2)) as vat_rate,
    line_amount_excl_tax,
    source_file,
    source_line,
    extracted_at,
    -- appended last: goods or services, and the line's discount (docs/schema.md)
    supply_type,
    discount_percent,
    discount_amount
from ranked
where version_rank = 1
