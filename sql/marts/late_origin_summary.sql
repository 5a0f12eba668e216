-- Overall on $as_of: how much of the overdue amount and of the days late comes from issuer-side causes.
select
    $as_of::date as as_of,
    count(*) as late_invoices,
    count(*) filter (where side = 'issuer') as issuer_side_invoices,
    count(*) filter (where side = 'customer') as customer_side_invoices,
    count(*) filter (where side = 'undetermined') as undetermined_invoices,
    coalesce(sum(overdue_amount), 0)::decimal(18, 2) as overdue_amount,
    coalesce(sum(overdue_amount) filter (where side = 'issuer'), 0)::decimal(18, 2) as issuer_side_overdue_amount,
    coalesce(sum(days_late), 0) as days_late,
    coalesce(sum(days_late) filter (where side = 'issuer'), 0) as issuer_side_days_late,
    coalesce(sum(overdue_amount) filter (where side = 'issuer'), 0) / nullif(sum(overdue_amount), 0)
        as issuer_share_of_overdue_amount,
    coalesce(sum(days_late) filter (where side = 'issuer'), 0) / nullif(sum(days_late), 0)
        as issuer_share_of_days_late,
    coalesce(sum(days_late) filter (where side = 'customer'), 0) / nullif(sum(days_late), 0)
        as customer_share_of_days_late
from marts.late_invoice_causes
