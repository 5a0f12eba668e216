-- Every accepted version of an invoice: a row each time an export showed it with different values.
-- An unchanged invoice in tomorrow's export adds no version; valid_to is when the next version appeared.
-- Invoices seen once (most of them) skip the ordering work: only repeated ones are compared in order.
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
    select source.*
    from source
    anti join repeated_keys
        on repeated_keys.issuer_key = coalesce(source.issuer_id, '')
        and repeated_keys.invoice_number = source.invoice_number
),

-- read by `changes` below, in the block the linter cannot parse
seen_again as (  -- noqa: ST03
    select
        source.*,
        {
            'document_type': document_type, 'customer_id': customer_id, 'issue_date': issue_date,
            'delivery_date': delivery_date, 'due_date': due_date, 'amount_excl_tax': amount_excl_tax,
            'tax_amount': tax_amount, 'amount_incl_tax': amount_incl_tax, 'currency': currency,
            'purchase_order': purchase_order, 'original_invoice_number': original_invoice_number,
            'description': description, 'attachments': attachments
        } as content
    from source
    semi join repeated_keys
        on repeated_keys.issuer_key = coalesce(source.issuer_id, '')
        and repeated_keys.invoice_number = source.invoice_number
),

-- the linter's DuckDB grammar does not know `is distinct from` (ANSI SQL, which DuckDB implements)
changes as (  -- noqa: disable=PRS
    select
        * exclude (content),
        lag(content) over (
            partition by coalesce(issuer_id, ''), invoice_number order by extracted_at, ingested_at, source_line
        ) is distinct from content as is_new_version
    from seen_again
),  -- noqa: enable=PRS

versions as (
    select
        * exclude (is_new_version),
        row_number() over invoice_versions as version,
        lead(extracted_at) over invoice_versions as valid_to
    from changes
    where is_new_version
    window invoice_versions as (
        partition by coalesce(issuer_id, ''), invoice_number order by extracted_at, ingested_at, source_line
    )
),

all_versions as (
    select *, 1 as version, cast(null as timestamptz) as valid_to from seen_once
    union all by name
    select * from versions
)

select
    issuer_id,
    invoice_number,
    version,
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
    valid_to,
    source_file,
    source_line,
    file_sha256,
    ingested_at
from all_versions
