-- Postage spent on paper letters and saved by electronic delivery over the period of $period_days days ending
-- on $as_of. A document is an invoice's first sending or one reminder step of it. A letter is avoided when a
-- document went out on an electronic channel and never on paper: without electronic delivery it would have
-- been printed and posted at $postage_tariff.
with sends as (
    select
        invoice_number,
        coalesce(reminder_step, 'invoice') as document,
        channel,
        occurred_at,
        try_cast(json_extract_string(evidence, '$.postage') as decimal(18, 2)) as postage
    from staging.events
    where event_type = 'sent'
      and (occurred_at at time zone 'UTC')::date > $as_of::date - $period_days::integer
      and (occurred_at at time zone 'UTC')::date <= $as_of::date
),

documents as (
    select
        invoice_number,
        document,
        bool_or(channel = 'paper') as went_on_paper,
        bool_or(channel <> 'paper') as went_electronically
    from sends
    group by invoice_number, document
),

paper as (
    select
        count(*) as paper_letters,
        coalesce(sum(postage), 0) as postage_spend,
        count(*) filter (where postage is null) as letters_without_postage
    from sends
    where channel = 'paper'
),

avoided as (
    select
        count(*) filter (where went_electronically and not went_on_paper) as letters_avoided,
        count(*) filter (where went_electronically and not went_on_paper and document = 'invoice')
            as invoice_letters_avoided,
        count(*) filter (where went_electronically and not went_on_paper and document <> 'invoice')
            as reminder_letters_avoided
    from documents
)

select
    $as_of::date as as_of,
    $as_of::date - $period_days::integer + 1 as period_start,
    paper.paper_letters,
    paper.postage_spend::decimal(18, 2) as postage_spend,
    paper.letters_without_postage,
    (paper.postage_spend / nullif(paper.paper_letters - paper.letters_without_postage, 0))::decimal(18, 4)
        as average_postage_per_letter,
    avoided.letters_avoided,
    avoided.invoice_letters_avoided,
    avoided.reminder_letters_avoided,
    $postage_tariff::decimal(18, 2) as postage_tariff,
    (avoided.letters_avoided * $postage_tariff::decimal(18, 2))::decimal(18, 2) as postage_savings
from paper
cross join avoided
