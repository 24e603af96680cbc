"""Word lists and text templates for the demo workspace. Everything here is invented.

People are first and last names combined at random from lists spanning the scripts a
researcher meets (Vietnamese, Albanian, Polish, Romanian, Cyrillic, English), so the app's
fonts, sorting and name matching get exercised. Towns, streets, businesses, operations and
platforms are made up; phone numbers come only from Ofcom's range reserved for drama
(07700 900000–900999); vehicle registrations start with Z, a letter the current GB format
never issues first; e-mail addresses and URLs use the reserved example.com / example.org.

Templates are filled with ``str.format_map`` from the task's story and cast (``demo._Writer``).
"""

from __future__ import annotations

from toexdesk.core.enums import EntityKind, Phia, Priority, SourceType, TaskStatus, Thematic


def words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split("|"))


# (given names, family names, family name first?). Given names carry ":m" or ":f"; a family
# name written "Wiśniewski/Wiśniewska" has a masculine and a feminine form.
NAME_GROUPS = (
    (  # Vietnamese: family, middle and given name
        "Văn Đức:m | Thị Hồng:f | Minh Tuấn:m | Thị Lan:f | Quang Huy:m | Thị Hương:f",
        "Nguyễn | Trần | Phạm | Đặng | Lê | Võ",
        True,
    ),
    (  # Albanian
        "Arbër:m | Dritë:f | Shpëtim:m | Mërgim:m | Kaltrinë:f",
        "Çela | Hoxhë | Krasniqi | Gashi | Dervishaj | Çeka",
        False,
    ),
    (  # Polish
        "Łukasz:m | Michał:m | Paweł:m | Małgorzata:f | Władysława:f",
        "Wiśniewski/Wiśniewska | Żółkiewski/Żółkiewska | Dąbrowski/Dąbrowska | Woźniak"
        " | Szczęsny/Szczęsna | Kowalczyk",
        False,
    ),
    (  # Romanian
        "Ionuț:m | Mădălina:f | Andreea:f | Costin:m | Ștefania:f | Florin:m",
        "Popescu | Rădulescu | Dumitrașcu | Țurcanu | Stănescu | Mureșan",
        False,
    ),
    (  # Ukrainian, in Cyrillic
        "Олег:m | Ірина:f | Дмитро:m | Наталія:f | Сергій:m | Оксана:f",
        "Коваленко | Шевчук | Бондаренко | Мельник | Ткаченко | Гнатюк",
        False,
    ),
    (  # English
        "Callum:m | Jade:f | Tyler:m | Kayleigh:f | Reece:m | Demi:f | Connor:m | Chantelle:f",
        "Whitcombe | Ashworth | Brannigan | Marsh | Okafor | Doyle | Pennock | Hartley",
        False,
    ),
)

# Parsed: ([(given, gender)], [[masculine, feminine…]], family name first?).
PEOPLE = [
    (
        [tuple(given.split(":")) for given in words(givens)],
        [family.split("/") for family in words(families)],
        family_first,
    )
    for givens, families, family_first in NAME_GROUPS
]
# Surnames that read naturally in an English business name.
PLAIN_SURNAMES = [forms[0] for _, families, _ in PEOPLE for forms in families if forms[0].isascii()]

ALIASES = words("Tiny | Smokes | Ghost | Bigz | Lil T | Uncle | Boss | Milli | Shadow | Dee")
AGES = words("early twenties | mid twenties | late twenties | thirties | forties | about 17")

TOWNS = words(
    "Marlow Fen | Eastbrook | Hallam Vale | Ashbury Cross | Kelderby | Wrenholt | Stallingford"
    " | Brackenmoor | Fennick Bay | Tollerby | Greyhithe | Dunsley Moor"
)
STREETS = words(
    "Larkspur Row | Quarry Lane | Tannery Walk | Mill Race Close | Harbour Terrace"
    " | Sorrel Court | Kingfisher Way | Chandlers Yard | Beacon Rise | Osier Street"
)
PLACES = words(
    "{town} bus station | {town} retail park car park | the lay-by on the {town} bypass"
    " | {town} Academy school gates | {town} skate park | the {town} Road underpass"
    " | the yard behind {town} Mini Market"
)
BUSINESSES = words(
    "{town} Hand Car Wash | {surname} Nails & Beauty | {town} Recruitment Services Ltd"
    " | {surname} Lettings Ltd | {town} Food Packing Ltd | {surname} Logistics Ltd"
    " | Golden Lotus Nails ({town}) | {town} Mini Market | {surname} Building Services Ltd"
)
VEHICLES = words(
    "silver hatchback | black saloon | white panel van | grey estate | blue people carrier"
    " | red moped | black SUV with tinted windows | white pick-up"
)
PLATFORMS = words("Pingwire | Looplet | Chirrup | Blinkgram | Tattlr")
HANDLE_STARTS = words("fen | marlow | ghost | bigz | tiny | vale | east | brack | kelder")
HANDLE_ENDS = words("_boy | _money | .rtw | _official | _22 | 99 | _trapline | x | _07")
LINES = words("Ace | Bando | Milly | Kilo | Snoopy | Tommy | Dex | Rizla | Blue | Magic")
OPERATIONS = words(
    "Harebell | Quillon | Starling | Ironwood | Marram | Tansy | Corvid | Lodestar | Bracken"
)

REQUESTERS = words(
    "DS Rachel Penhallow | DI Marcus Oyelaran | Senior Analyst Joanne Tresize"
    " | DCI Alan Fairbairn | PS Sunita Ravel | Analyst Supervisor Gareth Llewin"
    " | DS Aoife Garrity"
)
UNITS = words(
    "Exploitation Hub | Intelligence Development Team | Serious and Organised Crime Unit"
    " | Missing and Exploited Team | Economic Crime Team"
)

# How often things occur (relative weights).
THEMATIC_WEIGHTS = dict(zip(Thematic, (3, 3, 2, 2, 1), strict=True))
STATUS_WEIGHTS = dict(zip(TaskStatus, (1, 3, 1.5, 2, 0.5), strict=True))
PRIORITY_WEIGHTS = dict(zip(Priority, (1, 2, 3, 1), strict=True))
TYPE_WEIGHTS = dict(zip(SourceType, (4, 2, 3, 1.5, 1.5, 2), strict=True))
PHIA_WEIGHTS = dict(zip(Phia, (0.3, 0.5, 1, 2, 3, 2, 1), strict=True))
# Bank accounts come from entity spotting; the demo invents none.
KIND_SHARES = dict(zip(EntityKind, (4, 1, 1.5, 1.5, 1, 1, 0), strict=True))
# How much a task at each stage has collected, relative to one in progress.
WORK_DONE = dict(zip(TaskStatus, (0.3, 1.0, 1.3, 1.4, 0.4), strict=True))
# Grading habits per source type: weights of evaluation 1/2/3 and of assessment A–E, then
# the chance of handling code C and of an OFFICIAL-SENSITIVE marking.
GRADING = {
    SourceType.POLICE_SYSTEM: ((6, 3, 1), (3, 4, 3, 1, 0.2), 0.15, 0.1),
    SourceType.PARTNER_AGENCY: ((5, 4, 1), (3, 3, 3, 1, 0.2), 0.35, 0.2),
    SourceType.OPEN_SOURCE: ((1, 5, 4), (1, 2, 4, 3, 1), 0.05, 0.0),
    SourceType.CLOSED_SOURCE: ((5, 4, 1), (4, 3, 2, 1, 0.2), 0.6, 0.6),
    SourceType.HUMAN: ((3, 5, 2), (3, 3, 3, 1, 0.5), 0.7, 0.5),
    SourceType.DOCUMENT: ((6, 3, 1), (5, 2, 2, 1, 0.3), 0.2, 0.15),
}
AMOUNTS = (1500, 2500, 3000, 4000, 6000, 8500, 12000, 20000)

# Said in place of an entity when the workspace holds none that fits.
UNNAMED = {
    "person": "an unidentified male",
    "person2": "a second unidentified male",
    "org": "a local business",
    "address": "an address in {town}",
    "place": "a car park in {town}",
    "phone": "an unattributed handset",
    "vehicle": "an unidentified vehicle",
    "account": "an unattributed social media account",
}
STEP_NOTES = {
    TaskStatus.IN_PROGRESS: "research started",
    TaskStatus.AWAITING_REVIEW: "submitted for review",
    TaskStatus.COMPLETED: "review passed",
    TaskStatus.CANCELLED: "the tasker withdrew the request",
}

CONDITIONS = (
    "Not to be disseminated outside the unit without originator consent.",
    "Sanitise before sharing with partner agencies; consult the originator first.",
    "For intelligence purposes only: not for evidential use without originator approval.",
    "Do not disclose to the subject or their representatives.",
    "Share with safeguarding partners only, on a need-to-know basis.",
)

TAGS = {
    Thematic.COUNTY_LINES: ("county lines", "cuckooing", "drug supply", "CCE"),
    Thematic.MODERN_SLAVERY: ("labour exploitation", "sexual exploitation", "NRM", "debt bondage"),
    Thematic.CHILD_EXPLOITATION: ("CSE", "CCE", "missing episodes", "online grooming"),
    Thematic.OCG: ("OCG", "money laundering", "firearms", "associates"),
    Thematic.OTHER: ("acquisitive crime", "rural crime", "fraud"),
}

TITLES = {
    Thematic.COUNTY_LINES: (
        "'{line}' line into {town}: holders, runners and addresses",
        "Cuckooed addresses in {town}: risk to vulnerable adults",
        "Operation {operation}: drug supply from {town2} into {town}",
        "County lines activity around {town} bus and rail routes",
    ),
    Thematic.MODERN_SLAVERY: (
        "Labour exploitation at hand car washes in {town}",
        "Suspected sexual exploitation in short-let flats, {town}",
        "Operation {operation}: recruitment and debt bondage of workers in {town}",
        "Nail bars in {town} and {town2}: indicators of forced labour",
    ),
    Thematic.CHILD_EXPLOITATION: (
        "Child criminal exploitation linked to {town} schools",
        "Online grooming via {platform}: {town} cluster",
        "Missing children from {town} care homes: who is exploiting them",
        "Operation {operation}: child sexual exploitation concerns in {town}",
    ),
    Thematic.OCG: (
        "Operation {operation}: finances and associates of the {town} OCG",
        "Firearms access: mapping the {town} group",
        "Cash businesses in {town} used to launder drug money",
        "Operation {operation}: supply chain between {town2} and {town}",
    ),
    Thematic.OTHER: (
        "Metal theft from churches in {town} and {town2}",
        "Organised shoplifting at {town} retail park",
        "Farm machinery theft across {town} and {town2}",
        "Courier fraud against older residents of {town}",
    ),
}

QUESTIONS = {
    Thematic.COUNTY_LINES: (
        "Who holds the '{line}' line and who runs for it?",
        "Which addresses in {town} are being used, and are any cuckooed?",
        "Which vehicles and phones move drugs and runners between {town2} and {town}?",
        "Which children or vulnerable adults are at risk?",
    ),
    Thematic.MODERN_SLAVERY: (
        "Who recruits the workers, and how do they reach {town}?",
        "Where are the workers housed and who controls their wages?",
        "Which businesses profit, and who runs them?",
        "Which potential victims need an NRM referral or safeguarding?",
    ),
    Thematic.CHILD_EXPLOITATION: (
        "Which children are at risk, and what links their missing episodes?",
        "Who are the adults in contact with them, and how do they make contact?",
        "Which places and vehicles are used to meet children?",
        "What do partner agencies already know?",
    ),
    Thematic.OCG: (
        "Who are the principal members and how are they connected?",
        "How does the group move and launder its money?",
        "Does the group have access to firearms?",
        "Which businesses and properties does it control in {town}?",
    ),
    Thematic.OTHER: (
        "Are the offences linked, and by whom?",
        "Which vehicles and phones are involved?",
        "Where are stolen goods sold on?",
        "Is there an organised crime group behind the offending?",
    ),
}

GAPS = (
    "No financial intelligence yet; a request to the financial investigation unit is pending.",
    "The identity of '{alias}' is not known.",
    "No partner agency information received from {town2} yet.",
    "Subscriber details for {phone} are outstanding.",
    "Nothing yet on how people and goods travel between {town2} and {town}.",
)

# Statements only: how probable each one is goes in the finding's PHIA term, not its text.
# {address} is a residential address, {place} any location (a public one when there is one).
FINDINGS = {
    Thematic.COUNTY_LINES: (
        "{person} holds the '{line}' deal line, which has advertised crack cocaine and heroin "
        "in {town} since {month}; bulk messages were sent from {phone} on {n} days.",
        "{address} shows signs of cuckooing: the tenant is a vulnerable adult, neighbours "
        "report visitors at all hours, and {person} has been seen there on {n} occasions.",
        "{vehicle} made {n} return trips between {town2} and {town} in {month}, each shorter "
        "than a day, the pattern of runners being taken to and from the line.",
        "A child reported missing from {town2} {n} times this year was found at {address} with "
        "cash and two handsets; {phone} was saved in one of them as '{line}'.",
        "{account} posts videos referring to the '{line}' line and to {town}; the contact "
        "number in the profile is {phone}.",
        "Police systems hold nothing linking {person2} to drug supply; the link rests on one "
        "uncorroborated intelligence report.",
    ),
    Thematic.MODERN_SLAVERY: (
        "Workers at {org} are housed at {address}; a partner agency visit counted {n} "
        "mattresses in three rooms and no cooking facilities.",
        "{person} controls the bank cards of at least {n} workers: wages from {org} are "
        "withdrawn at the same cash machine in {town} within hours of payment.",
        "Two NRM referrals from {town} describe a recruiter called '{alias}' who arranged the "
        "journey and then demanded £{amount} for it; both give {phone} as the number.",
        "{account} advertises 'cash in hand' work at {org} with accommodation included, the "
        "pattern seen in earlier labour exploitation cases.",
        "{vehicle} collects workers from {address} at about 06:00 most days and returns them "
        "after 20:00, according to neighbours and a housing officer.",
        "Online adverts for massage in {town} use {phone}; reviews describe women who spoke no "
        "English and never left the premises.",
    ),
    Thematic.CHILD_EXPLOITATION: (
        "{account} is used to contact children in {town}: at least {n} have been offered "
        "gifts, vapes and lifts, and two were told to keep the contact secret.",
        "{vehicle} has been seen collecting children from {place} late at night on {n} "
        "occasions since {month}.",
        "A 14-year-old from {town} with {n} missing episodes has been found each time with "
        "{person}, an adult.",
        "School safeguarding notes describe older males outside {town} Academy handing phones "
        "to pupils; {phone} was stored in one of those phones.",
        "{person2} has no recorded contact with children's services, which does not rule out "
        "the school's concerns.",
        "Return home interviews with {n} children mention parties at {address} where alcohol "
        "and cannabis were handed out free.",
    ),
    Thematic.OCG: (
        "{org} is used to launder cash: its declared turnover is far above similar businesses "
        "in {town}, and about £{amount} in cash is deposited weekly.",
        "{person} and {person2} are associated through shared use of {phone} and joint visits "
        "to {address}.",
        "{person} is the link between the group and suppliers in {town2}; prison intelligence "
        "describes {person} as the one who 'sorts the parcels'.",
        "The group can get a firearm stored at {address}; this rests on a single source and "
        "has not been corroborated.",
        "{vehicle} has been stopped {n} times since {month} with different drivers each time: "
        "a pool vehicle used by the group.",
        "{n} properties in {town} were bought in cash or through {org}; none of the purchases "
        "fits the declared incomes of those named.",
    ),
    Thematic.OTHER: (
        "The offences in {town} and {town2} share one method; {vehicle} was seen near two of "
        "the scenes.",
        "Stolen goods are offered for sale by {account} within {n} days of each offence.",
        "Orders for stolen goods are taken on {phone}, which was in contact with {person}.",
        "{person} was seen at {place} on the days of two of the offences.",
        "Nothing yet shows the offending is organised; the pattern could be opportunistic.",
    ),
}

# Per source type: (title, description[, reference]) entries, then the usual reference.
SOURCES: dict[SourceType, tuple[tuple[tuple[str, ...], ...], str]] = {
    SourceType.POLICE_SYSTEM: (
        (
            ("Intelligence log: sightings at {place}",
             "Intelligence log entry: {person} seen at {place} in {month} with two unknown "
             "males; {phone} given as a contact number."),
            ("PND check: {person}",
             "Nominal record check: {person} has {n} previous intelligence reports, mostly "
             "from {town}."),
            ("ANPR hits: {vehicle}",
             "ANPR and stop records for {vehicle} across {town} and {town2}: {n} hits in the "
             "period, mostly late at night."),
            ("Command and control log: calls to {address}",
             "{n} calls about {address} since {month}: noise, people coming and going, one "
             "report of a child seen there during school hours."),
        ),
        "PND-{year}-{d5}",
    ),
    SourceType.PARTNER_AGENCY: (
        (
            ("Children's services referral: {town}",
             "Referral from children's services: a child from {town} with repeated missing "
             "episodes; mentions {account} and an older male known as '{alias}'."),
            ("Housing officer report: {address}",
             "Housing officer visit to {address}: the tenant appeared frightened, several "
             "people were sleeping in the living room and the door was damaged."),
            ("NRM referral summary ({town})",
             "NRM referral summary: adult potential victim describes recruitment by '{alias}', "
             "travel paid by the recruiter and a debt of £{amount}."),
        ),
        "LA-{year}-{d5}",
    ),
    SourceType.OPEN_SOURCE: (
        (
            ("Public profile: {account}",
             "Public profile {account} captured in {month}; posts refer to {town} and the "
             "'{line}' line. Screenshots kept.",
             "https://social.example.com/p/{d5}"),
            ("Online job advert: {org}",
             "Advert for 'cash in hand' work at {org}, accommodation offered; contact number "
             "{phone}.",
             "https://jobs.example.com/advert/{d5}"),
            ("Local news report: warrant executed in {town}",
             "Local news report on a police warrant in {town}; no one is named."),
        ),
        "https://news.example.org/{slug}/{d5}",
    ),
    SourceType.CLOSED_SOURCE: (
        (
            ("Subscriber and call data: {phone}",
             "Subscriber and call data for {phone}: pay-as-you-go, no subscriber details; the "
             "top contacts include numbers linked to {town}.",
             "TEL-{year}-{d5}"),
            ("Financial intelligence summary: {person}",
             "Accounts linked to {person} receive frequent small cash deposits in {town} and "
             "{town2}."),
            ("Prison intelligence report: associates of {person}",
             "{person} named by two prisoners as arranging deliveries to {town}.",
             "PRIS-{year}-{d5}"),
        ),
        "FIN-{year}-{d5}",
    ),
    SourceType.HUMAN: (
        (
            ("Source report: activity at {address}",
             "Source reports that {person} uses {address} to store drugs and cash and is "
             "driven in {vehicle}."),
            ("Community contact report: {town}",
             "Community contact describes children gathering at {place} after school and "
             "being given phones."),
            ("Victim debrief note ({town})",
             "Victim describes being moved between {town} and {town2} by '{alias}' and working "
             "to pay off £{amount}."),
        ),
        "HSR-{year}-{d5}",
    ),
    SourceType.DOCUMENT: (
        (
            ("Handwritten debt list recovered at {address}",
             "Nicknames with sums beside them, about £{amount} in all; one page lists {phone}."),
            ("Tenancy agreement: {address}",
             "Tenancy agreement for {address} in the name of {person}; rent paid in cash."),
            ("Payroll records: {org}",
             "Payroll records from {org}: {n} workers paid the same net amount into {n2} bank "
             "accounts."),
        ),
        "DOC-{year}-{d5}",
    ),
}  # fmt: skip
