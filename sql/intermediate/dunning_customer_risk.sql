-- Each customer's risk band for policy selection: the worst band among its invoices' latest scores
-- (marts.risk_scores, written by the analytics risk model).
with latest_scores as (
    select
        customer_id,
        risk_band,
        row_number() over (partition by invoice_number order by scored_on desc) as recency
    from marts.risk_scores
),

customer_rank as (
    select
        customer_id,
        max(case risk_band when 'high' then 3 when 'medium' then 2 when 'low' then 1 else 0 end) as band_rank
    from latest_scores
    where recency = 1
    group by customer_id
)

select
    customer_id,
    case band_rank when 3 then 'high' when 2 then 'medium' when 1 then 'low' end as risk_band
from customer_rank
order by customer_id
