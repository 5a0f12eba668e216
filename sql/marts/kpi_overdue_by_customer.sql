-- Open and overdue receivables per customer on $as_of, largest overdue first.
select
    $as_of::date as as_of,
    customer_id,
    any_value(customer_name) as customer_name,
    any_value(segment) as segment,
    coalesce(sum(open_amount_as_of), 0)::decimal(18, 2) as open_amount,
    coalesce(sum(open_amount_as_of) filter (where days_past_due > 0), 0)::decimal(18, 2) as overdue_amount,
    count(*) filter (where open_amount_as_of > 0) as open_invoices,
    count(*) filter (where open_amount_as_of > 0 and days_past_due > 0) as overdue_invoices,
    max(days_past_due) filter (where open_amount_as_of > 0 and days_past_due > 0) as oldest_days_overdue,
    -- settled invoices only: how late this customer usually pays
    avg(days_late) filter (where is_settled) as average_days_late_settled,
    count(*) filter (where is_settled and is_late) / nullif(count(*) filter (where is_settled), 0)
        as late_share_settled
from intermediate.analytics_invoices
group by customer_id
order by overdue_amount desc, customer_id asc
