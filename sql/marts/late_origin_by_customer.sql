-- Per customer on $as_of: the share of overdue amount and of days late whose primary cause is on the issuer's
-- side (our own defects), next to the customer-side and undetermined shares.
select
    $as_of::date as as_of,
    customer_id,
    any_value(customer_name) as customer_name,
    any_value(segment) as segment,
    count(*) as late_invoices,
    count(*) filter (where side = 'issuer') as issuer_side_invoices,
    sum(overdue_amount)::decimal(18, 2) as overdue_amount,
    coalesce(sum(overdue_amount) filter (where side = 'issuer'), 0)::decimal(18, 2) as issuer_side_overdue_amount,
    sum(days_late) as days_late,
    coalesce(sum(days_late) filter (where side = 'issuer'), 0) as issuer_side_days_late,
    coalesce(sum(overdue_amount) filter (where side = 'issuer'), 0) / nullif(sum(overdue_amount), 0)
        as issuer_share_of_overdue_amount,
    coalesce(sum(days_late) filter (where side = 'issuer'), 0) / nullif(sum(days_late), 0)
        as issuer_share_of_days_late,
    coalesce(sum(days_late) filter (where side = 'customer'), 0) / nullif(sum(days_late), 0)
        as customer_share_of_days_late
from marts.late_invoice_causes
group by customer_id
order by issuer_side_overdue_amount desc, customer_id asc
