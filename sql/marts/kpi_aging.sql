-- Open receivables on $as_of by days past due: current (not yet due), 1-30, 31-60, 61-90, 90+.
with buckets as (
    select * from (values
        (1, 'current', null::integer, 0),
        (2, '1-30', 1, 30),
        (3, '31-60', 31, 60),
        (4, '61-90', 61, 90),
        (5, '90+', 91, null::integer)
    ) as t (bucket_order, bucket, min_days, max_days)
),

open_invoices as (
    select invoice_number, days_past_due, open_amount_as_of
    from intermediate.analytics_invoices
    where open_amount_as_of > 0
),

totals as (
    select sum(open_amount_as_of) as receivable_amount from open_invoices
)

select
    $as_of::date as as_of,
    buckets.bucket_order,
    buckets.bucket,
    count(open_invoices.invoice_number) as invoice_count,
    coalesce(sum(open_invoices.open_amount_as_of), 0)::decimal(18, 2) as open_amount,
    coalesce(sum(open_invoices.open_amount_as_of), 0) / nullif(any_value(totals.receivable_amount), 0)
        as share_of_receivables
from buckets
cross join totals
left join open_invoices
    on open_invoices.days_past_due >= coalesce(buckets.min_days, -2147483648)
   and open_invoices.days_past_due <= coalesce(buckets.max_days, 2147483647)
group by buckets.bucket_order, buckets.bucket
order by buckets.bucket_order
