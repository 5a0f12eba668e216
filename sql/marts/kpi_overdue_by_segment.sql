-- Open and overdue receivables per customer segment on $as_of.
select
    $as_of::date as as_of,
    segment,
    count(distinct customer_id) as customers,
    coalesce(sum(open_amount_as_of), 0)::decimal(18, 2) as open_amount,
    coalesce(sum(open_amount_as_of) filter (where days_past_due > 0), 0)::decimal(18, 2) as overdue_amount,
    count(*) filter (where open_amount_as_of > 0 and days_past_due > 0) as overdue_invoices,
    coalesce(sum(open_amount_as_of) filter (where days_past_due > 0), 0)
        / nullif(sum(open_amount_as_of), 0) as overdue_share
from intermediate.analytics_invoices
group by segment
order by overdue_amount desc, segment asc
