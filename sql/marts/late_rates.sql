-- Late-payment rate by delivery and access facts, among invoices whose outcome is known on $as_of
-- (settled, or past due unpaid). Retrieval dimensions cover electronic invoices known to have reached the
-- customer (a delivery receipt or a retrieval): a paper letter or an untracked sending leaves no retrieval
-- trace, so counting it as "never retrieved" would measure the channel, not the customer's attention.
-- Each rate carries a 95% Wilson score interval.
with known as (
    select *
    from intermediate.analytics_invoices
    where outcome_known
),

facts as (
    select invoice_number, amount, is_late, 'channel_class' as dimension, 1 as value_order,
           channel_class as value
    from known
    union all
    select invoice_number, amount, is_late, 'channel', 1, billing_channel
    from known
    union all
    select invoice_number, amount, is_late, 'retrieval',
           case when is_retrieved then 1 else 2 end,
           case when is_retrieved then 'retrieved' else 'never retrieved' end
    from known
    where channel_class = 'electronic' and (first_delivered_at is not null or is_retrieved)
    union all
    select invoice_number, amount, is_late, 'time_to_retrieval',
           case
               when not is_retrieved then 6
               when days_to_retrieval <= 0 then 1
               when days_to_retrieval <= 2 then 2
               when days_to_retrieval <= 7 then 3
               when days_to_retrieval <= 14 then 4
               else 5
           end,
           case
               when not is_retrieved then 'never'
               when days_to_retrieval <= 0 then 'same day'
               when days_to_retrieval <= 2 then '1-2 days'
               when days_to_retrieval <= 7 then '3-7 days'
               when days_to_retrieval <= 14 then '8-14 days'
               else 'over 14 days'
           end
    from known
    where channel_class = 'electronic' and (first_delivered_at is not null or is_retrieved)
    union all
    select invoice_number, amount, is_late, 'dispute',
           case when is_disputed then 1 else 2 end,
           case when is_disputed then 'disputed' else 'undisputed' end
    from known
),

rates as (
    select
        dimension,
        value,
        min(value_order) as value_order,
        count(*) as invoices,
        count(*) filter (where is_late) as late_invoices,
        sum(amount)::decimal(18, 2) as amount,
        coalesce(sum(amount) filter (where is_late), 0)::decimal(18, 2) as late_amount
    from facts
    group by dimension, value
),

with_rate as (
    select *, late_invoices / invoices as late_rate, 1.959963984540054 as z
    from rates
)

select
    $as_of::date as as_of,
    dimension,
    value,
    value_order,
    invoices,
    late_invoices,
    late_rate,
    greatest(0, (late_rate + z * z / (2 * invoices)
        - z * sqrt(late_rate * (1 - late_rate) / invoices + z * z / (4 * invoices * invoices)))
        / (1 + z * z / invoices)) as late_rate_low,
    least(1, (late_rate + z * z / (2 * invoices)
        + z * sqrt(late_rate * (1 - late_rate) / invoices + z * z / (4 * invoices * invoices)))
        / (1 + z * z / invoices)) as late_rate_high,
    amount,
    late_amount
from with_rate
order by dimension, value_order, value
