-- Headline receivable KPIs on $as_of over the period of $period_days days ending on $as_of (see docs/analytics.md).
with invoices as (
    select * from intermediate.analytics_invoices
),

period as (
    select $as_of::date - $period_days::integer as period_start, $as_of::date as period_end
),

credit_notes_in_period as (
    select coalesce(sum(abs(amount_incl_tax)), 0) as credited_amount
    from marts.invoices, period
    where document_type = 'credit_note'
      and issue_date > period.period_start and issue_date <= period.period_end
),

sales as (
    select
        coalesce(sum(amount) filter (where issue_date > period.period_start), 0)
            - any_value(credit_notes_in_period.credited_amount) as net_credit_sales
    from invoices, period, credit_notes_in_period
),

receivables as (
    select
        coalesce(sum(open_amount_as_of), 0) as receivable_amount,
        coalesce(sum(open_amount_as_of) filter (where days_past_due <= 0), 0) as current_amount,
        coalesce(sum(open_amount_as_of) filter (where days_past_due > 0), 0) as overdue_amount,
        count(*) filter (where open_amount_as_of > 0 and days_past_due > 0) as overdue_invoices
    from invoices
),

opening as (
    select receivable_amount as opening_receivable_amount
    from intermediate.analytics_receivable_snapshots, period
    where snapshot_date = period.period_start
),

settled_in_period as (
    select
        count(*) as settled_invoices,
        count(*) filter (where days_past_due <= 0) as settled_on_time,
        avg(days_to_pay) as average_days_to_pay,
        median(days_to_pay) as median_days_to_pay,
        quantile_cont(days_to_pay, 0.9) as p90_days_to_pay,
        avg(days_late) as average_days_late,
        -- weighted by amount: what "average days delinquent" means for settled invoices
        sum(days_late * amount) / nullif(sum(amount), 0) as amount_weighted_days_late
    from invoices, period
    where settled_on > period.period_start and settled_on <= period.period_end
),

-- countback: walk back month by month (the current month up to $as_of) consuming receivables by sales
monthly_sales as (
    select
        months.month_start::date as month_start,
        least(last_day(months.month_start::date), $as_of::date) - months.month_start::date + 1 as days_in_period,
        coalesce((select sum(amount) from invoices
                  where date_trunc('month', issue_date)::date = months.month_start::date), 0)
        - coalesce((select sum(abs(amount_incl_tax)) from marts.invoices
                    where document_type = 'credit_note' and issue_date <= $as_of::date
                      and date_trunc('month', issue_date)::date = months.month_start::date), 0) as net_sales
    from range(
        date_trunc('month', (select min(issue_date) from invoices))::timestamp,
        ($as_of::date + interval 1 day)::timestamp,
        interval 1 month
    ) as months (month_start)
),

countback_walk as (
    select
        monthly_sales.*,
        sum(net_sales) over (order by month_start desc rows between unbounded preceding and current row)
            as sales_to_here,
        coalesce(sum(net_sales) over (order by month_start desc rows between unbounded preceding
                                      and 1 preceding), 0) as sales_before,
        coalesce(sum(days_in_period) over (order by month_start desc rows between unbounded preceding
                                           and 1 preceding), 0) as days_before
    from monthly_sales
),

countback as (
    select
        coalesce(
            min(case when sales_before < receivables.receivable_amount
                          and sales_to_here >= receivables.receivable_amount
                     then days_before + (receivables.receivable_amount - sales_before) / net_sales
                          * days_in_period end),
            -- receivables larger than every sale on record: all the months are counted
            max(days_before + days_in_period)
        ) as countback_dso
    from countback_walk, receivables
)

select
    period.period_end as as_of,
    period.period_start + 1 as period_start,
    $period_days::integer as period_days,
    receivables.receivable_amount::decimal(18, 2) as receivable_amount,
    receivables.current_amount::decimal(18, 2) as current_amount,
    receivables.overdue_amount::decimal(18, 2) as overdue_amount,
    receivables.overdue_invoices,
    sales.net_credit_sales::decimal(18, 2) as net_credit_sales,
    receivables.receivable_amount / nullif(sales.net_credit_sales, 0) * $period_days::integer as dso_standard,
    case when receivables.receivable_amount = 0 then 0 else countback.countback_dso end as dso_countback,
    receivables.current_amount / nullif(sales.net_credit_sales, 0) * $period_days::integer as best_possible_dso,
    receivables.overdue_amount / nullif(sales.net_credit_sales, 0) * $period_days::integer
        as average_days_delinquent,
    coalesce(opening.opening_receivable_amount, 0)::decimal(18, 2) as opening_receivable_amount,
    100 * (coalesce(opening.opening_receivable_amount, 0) + sales.net_credit_sales - receivables.receivable_amount)
        / nullif(coalesce(opening.opening_receivable_amount, 0) + sales.net_credit_sales
                 - receivables.current_amount, 0) as collection_effectiveness_index,
    settled_in_period.settled_invoices,
    settled_in_period.settled_on_time,
    settled_in_period.settled_on_time / nullif(settled_in_period.settled_invoices, 0) as on_time_rate,
    settled_in_period.average_days_to_pay,
    settled_in_period.median_days_to_pay,
    settled_in_period.p90_days_to_pay,
    settled_in_period.average_days_late,
    settled_in_period.amount_weighted_days_late
from period
cross join receivables
cross join sales
cross join settled_in_period
cross join countback
left join opening on true
