-- How recent the payments data is: the latest extraction and the latest payment it holds.
with freshness as (
    select
        max(extracted_at) as payments_extracted_at,
        max(payment_date) as latest_payment_date,
        count(*) as payment_count
    from staging.payments
)

select * from freshness
