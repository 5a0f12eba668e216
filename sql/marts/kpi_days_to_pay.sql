-- Distribution of days to pay (issue to settlement) and of days late (due date to settlement) for the
-- invoices settled in the period of $period_days days ending on $as_of.
with settled as (
    select invoice_number, amount, days_to_pay, days_late
    from intermediate.analytics_invoices
    where settled_on > $as_of::date - $period_days::integer
      and settled_on <= $as_of::date
),

bands as (
    select * from (values
        ('days_to_pay', 1, '0-30', 0, 30),
        ('days_to_pay', 2, '31-45', 31, 45),
        ('days_to_pay', 3, '46-60', 46, 60),
        ('days_to_pay', 4, '61-90', 61, 90),
        ('days_to_pay', 5, '90+', 91, null::integer),
        ('days_late', 1, 'on time', 0, 0),
        ('days_late', 2, '1-15', 1, 15),
        ('days_late', 3, '16-30', 16, 30),
        ('days_late', 4, '31-60', 31, 60),
        ('days_late', 5, '60+', 61, null::integer)
    ) as t (measure, band_order, band, min_days, max_days)
),

measured as (
    select invoice_number, amount, 'days_to_pay' as measure, days_to_pay as days from settled
    union all
    select invoice_number, amount, 'days_late' as measure, days_late as days from settled
)

select
    $as_of::date as as_of,
    bands.measure,
    bands.band_order,
    bands.band,
    count(measured.invoice_number) as invoice_count,
    coalesce(sum(measured.amount), 0)::decimal(18, 2) as amount,
    count(measured.invoice_number) / nullif((select count(*) from settled), 0) as share_of_invoices
from bands
left join measured
    on measured.measure = bands.measure
   and measured.days >= bands.min_days
   and measured.days <= coalesce(bands.max_days, 2147483647)
group by bands.measure, bands.band_order, bands.band
order by bands.measure, bands.band_order
