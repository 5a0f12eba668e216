-- One row per customer. Customer files and customers seen in invoice files both feed it; for each field
-- the latest extraction that gave a value wins, so an invoice file knowing only the customer code does
-- not erase the e-mail a customer file exported.
with source as (
    select * from raw.customers
),

merged as (
    select
        customer_id,
        arg_max(name, extracted_at) filter (where name is not null) as name,
        arg_max(email, extracted_at) filter (where email is not null) as email,
        arg_max(phone, extracted_at) filter (where phone is not null) as phone,
        arg_max(siren, extracted_at) filter (where siren is not null) as siren,
        arg_max(vat_number, extracted_at) filter (where vat_number is not null) as vat_number,
        arg_max(country, extracted_at) filter (where country is not null) as country,
        arg_max(language, extracted_at) filter (where language is not null) as language,
        arg_max(timezone, extracted_at) filter (where timezone is not null) as timezone,
        arg_max(segment, extracted_at) filter (where segment is not null) as segment,
        arg_max(tags, extracted_at) filter (where tags is not null) as tags,
        arg_max(preferred_channel, extracted_at) filter (where preferred_channel is not null) as preferred_channel,
        arg_max(fallback_channels, extracted_at) filter (where fallback_channels is not null) as fallback_channels,
        arg_max(address_line1, extracted_at) filter (where address_line1 is not null) as address_line1,
        arg_max(address_line2, extracted_at) filter (where address_line2 is not null) as address_line2,
        arg_max(postcode, extracted_at) filter (where postcode is not null) as postcode,
        arg_max(city, extracted_at) filter (where city is not null) as city,
        arg_max(edi_gln, extracted_at) filter (where edi_gln is not null) as edi_gln,
        arg_max(platform_id, extracted_at) filter (where platform_id is not null) as platform_id,
        arg_max(ap_portal_id, extracted_at) filter (where ap_portal_id is not null) as ap_portal_id,
        arg_max(payment_terms_days, extracted_at) filter (where payment_terms_days is not null)
            as payment_terms_days,
        arg_max(on_hold, extracted_at) filter (where on_hold is not null) as on_hold,
        arg_max(customer_kind, extracted_at) filter (where customer_kind is not null) as customer_kind,
        arg_max(electronic_address, extracted_at) filter (where electronic_address is not null)
            as electronic_address,
        arg_max(source_file, extracted_at) as source_file,
        max(extracted_at) as extracted_at
    from source
    where customer_id is not null
    group by customer_id
),

channel_words as (
    select
        *,
        lower(trim(preferred_channel)) as channel_word,
        lower(trim(language)) as language_word
    from merged
)

select
    customer_id,
    name,
    lower(email) as email,
    phone,
    replace(siren, ' ', '') as siren,
    upper(replace(vat_number, ' ', '')) as vat_number,
    country,
    case
        when language_word in ('fr', 'fra', 'fre', 'french', 'francais', 'français') then 'fr'
        when language_word in ('en', 'eng', 'english', 'anglais') then 'en'
        when language_word is null and (country is null or upper(country) in ('FR', 'FRA', 'FRANCE')) then 'fr'
        else 'en'
    end as language,
    timezone,
    segment,
    coalesce(tags, []::varchar[]) as tags,
    case
        when channel_word in ('email', 'e-mail', 'mail', 'courriel', 'electronic') then 'email'
        when channel_word in ('platform', 'plateforme', 'pdp', 'pa', 'e-invoice', 'e-invoicing', 'chorus')
            then 'platform'
        when channel_word in ('edi', 'edifact') then 'edi'
        when channel_word in ('ap_portal', 'ap portal', 'portail', 'portail ap', 'portal', 'supplier portal')
            then 'ap_portal'
        when channel_word in ('paper', 'papier', 'courrier', 'post', 'letter', 'print') then 'paper'
        when channel_word is null then 'email'
        else channel_word
    end as preferred_channel,
    coalesce(fallback_channels, []::varchar[]) as fallback_channels,
    address_line1,
    address_line2,
    postcode,
    city,
    edi_gln,
    platform_id,
    ap_portal_id,
    payment_terms_days,
    coalesce(on_hold, false) as on_hold,
    source_file,
    extracted_at,
    -- appended last: B2B or B2C, and where the customer receives e-invoices (docs/schema.md)
    customer_kind,
    replace(electronic_address, ' ', '') as electronic_address
from channel_words
