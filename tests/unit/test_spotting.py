"""Entity spotting in text and near-duplicate names (toexdesk.core.spotting).

Synthetic data only: invented names; phone numbers only from Ofcom's ranges kept for drama
(07700 900xxx, 020 7946 0xxx, 0113/0161/0121 496 0xxx, 01632 960xxx, 028 9649 6xxx,
029 2018 0xxx, 0306 999 0xxx); IBANs are the published examples or computed here.
"""

from __future__ import annotations

import pytest

from toexdesk.core.enums import EntityKind
from toexdesk.core.services import entities
from toexdesk.core.spotting import (
    Confidence,
    Spot,
    SpotKind,
    canonical,
    compact_key,
    distinct,
    fold,
    iban_valid,
    name_key,
    resolve,
    similar_names,
    snippet,
    spot,
)
from toexdesk.core.spotting.phones import national


def only(text: str, kind: SpotKind) -> list[Spot]:
    return [s for s in spot(text) if s.kind is kind]


def the_one(text: str, kind: SpotKind) -> Spot:
    found = spot(text)
    assert [s.kind for s in found] == [kind], found
    s = found[0]
    assert text[s.start : s.end] == s.value
    return s


def make_iban(country: str, bban: str) -> str:
    """A valid IBAN for a BBAN: the check digits computed by ISO 7064 mod 97-10."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


# --- phones -------------------------------------------------------------------------------
PHONES = [
    # (as written, E.164, national display, detail)
    ("07700 900123", "+447700900123", "07700 900123", "mobile"),
    ("07700900123", "+447700900123", "07700 900123", "mobile"),
    ("07700-900-123", "+447700900123", "07700 900123", "mobile"),
    ("07700.900.123", "+447700900123", "07700 900123", "mobile"),
    ("07700 900 123", "+447700900123", "07700 900123", "mobile"),
    ("07700\u00a0900123", "+447700900123", "07700 900123", "mobile"),
    ("(07700) 900123", "+447700900123", "07700 900123", "mobile"),
    ("+44 7700 900123", "+447700900123", "07700 900123", "mobile"),
    ("+447700900123", "+447700900123", "07700 900123", "mobile"),
    ("+44 (0) 7700 900123", "+447700900123", "07700 900123", "mobile"),
    ("+44(0)7700 900123", "+447700900123", "07700 900123", "mobile"),
    ("+44 07700 900123", "+447700900123", "07700 900123", "mobile"),
    ("0044 7700 900123", "+447700900123", "07700 900123", "mobile"),
    ("+44-7700-900123", "+447700900123", "07700 900123", "mobile"),
    ("020 7946 0018", "+442079460018", "020 7946 0018", "landline"),
    ("(020) 7946 0018", "+442079460018", "020 7946 0018", "landline"),
    ("020-7946-0018", "+442079460018", "020 7946 0018", "landline"),
    ("02079460018", "+442079460018", "020 7946 0018", "landline"),
    ("+44 20 7946 0018", "+442079460018", "020 7946 0018", "landline"),
    ("+44 (0)20 7946 0018", "+442079460018", "020 7946 0018", "landline"),
    ("0161 496 0123", "+441614960123", "0161 496 0123", "landline"),
    ("(0161) 496 0123", "+441614960123", "0161 496 0123", "landline"),
    ("0113 496 0999", "+441134960999", "0113 496 0999", "landline"),
    ("0121 496 0000", "+441214960000", "0121 496 0000", "landline"),
    ("01632 960123", "+441632960123", "01632 960123", "landline"),
    ("(01632) 960123", "+441632960123", "01632 960123", "landline"),
    ("01632960123", "+441632960123", "01632 960123", "landline"),
    ("028 9649 6123", "+442896496123", "028 9649 6123", "landline"),
    ("029 2018 0456", "+442920180456", "029 2018 0456", "landline"),
    ("0306 999 0123", "+443069990123", "0306 999 0123", "non_geographic"),
]


@pytest.mark.parametrize(("written", "e164", "display", "detail"), PHONES)
def test_phone_numbers_are_spotted_in_every_usual_spelling(written, e164, display, detail):
    text = f"Contact on {written}, after 6pm."
    s = the_one(text, SpotKind.PHONE)
    assert (s.value, s.normalised, s.display, s.detail) == (written, e164, display, detail)
    assert s.start == len("Contact on ") and s.validated
    assert s.confidence is Confidence.HIGH
    assert s.entity_kind is EntityKind.PHONE and s.entity_name == display


@pytest.mark.parametrize(
    "text",
    [
        "07700 90012 is short",  # ten digits
        "07700 9001234 is long",  # twelve digits
        "077009001234",
        "ref 3407700900123",  # inside a longer digit run
        "ABC07700900123",  # glued to letters
        "07700900123abc",
        "07700-900123-45",  # more of a longer number follows
        "07700 900123.5",
        "1.07700900123",
        "07700 900-123",  # mixed separators
        "0 7 7 0 0 9 0 0 1 2 3",  # single digits
        "021 7946 0018",  # 021 is not in use
        "05700 900123",  # 05 is not a mobile or landline range
        "+1 202 555 0123",  # not UK
        "44 7700 900123",  # +44 without the +
        "TX-2026-0001",
        "INV-07700900123",  # a reference with a number in it
        "01/02/2026 and 2026-07-01",
        "01.02.2026",
        "£1,200.50 paid on 12/07/2026",
        "IBAN GB82WEST12345698765432",
    ],
)
def test_things_that_are_not_phone_numbers(text):
    assert only(text, SpotKind.PHONE) == []


def test_an_unclosed_bracket_is_not_part_of_the_number():
    assert [s.value for s in spot("(020 7946 0018")] == ["020 7946 0018"]
    assert [s.value for s in spot("(07700 900123)")] == ["07700 900123"]


@pytest.mark.parametrize(
    "text", ["Tel.07700 900123", "Tel:07700900123", "tel:+447700900123", "Mob – 07700 900123"]
)
def test_labels_glued_before_a_number(text):
    assert the_one(text, SpotKind.PHONE).normalised == "+447700900123"


def test_a_date_before_a_number_does_not_swallow_it():
    text = "Seen 01.02.2026 07700 900456 and 12-07-2026 020 7946 0999."
    found = only(text, SpotKind.PHONE)
    assert [s.value for s in found] == ["07700 900456", "020 7946 0999"]
    for s in found:
        assert text[s.start : s.end] == s.value


def test_numbers_in_a_list_are_each_spotted():
    text = "07700 900123 07700 900456/07700900789; +44 7700 900111"
    assert [s.normalised for s in only(text, SpotKind.PHONE)] == [
        "+447700900123",
        "+447700900456",
        "+447700900789",
        "+447700900111",
    ]


def test_personal_and_pager_ranges_are_less_sure():
    assert the_one("07000 900123", SpotKind.PHONE).confidence is Confidence.MEDIUM
    assert the_one("07600 900123", SpotKind.PHONE).detail == "pager"
    assert the_one("07624 900123", SpotKind.PHONE).detail == "mobile"  # Isle of Man


@pytest.mark.parametrize(
    ("nsn", "shown"),
    [
        ("7700900123", "07700 900123"),
        ("2079460123", "020 7946 0123"),
        ("1614960123", "0161 496 0123"),
        ("1134960123", "0113 496 0123"),
        ("1632960123", "01632 960123"),
        ("3069990123", "0306 999 0123"),
    ],
)
def test_national_display(nsn, shown):
    assert national(nsn) == shown


# --- postcodes ----------------------------------------------------------------------------
POSTCODES = [
    ("SW1A 1AA", "SW1A 1AA", Confidence.HIGH),
    ("sw1a 1aa", "SW1A 1AA", Confidence.MEDIUM),
    ("SW1A1AA", "SW1A 1AA", Confidence.MEDIUM),
    ("SW1A\u00a01AA", "SW1A 1AA", Confidence.HIGH),
    ("M1 1AE", "M1 1AE", Confidence.HIGH),
    ("M11AE", "M1 1AE", Confidence.MEDIUM),
    ("B33 8TH", "B33 8TH", Confidence.HIGH),
    ("CR2 6XH", "CR2 6XH", Confidence.HIGH),
    ("DN55 1PT", "DN55 1PT", Confidence.HIGH),
    ("W1A 0AX", "W1A 0AX", Confidence.HIGH),
    ("EC1A 1BB", "EC1A 1BB", Confidence.HIGH),
    ("E1 6AN", "E1 6AN", Confidence.HIGH),
    ("LS1 4DY", "LS1 4DY", Confidence.HIGH),
    ("BT1 5GS", "BT1 5GS", Confidence.HIGH),
    ("CF10 1AA", "CF10 1AA", Confidence.HIGH),
    ("GIR 0AA", "GIR 0AA", Confidence.HIGH),
    ("gir0aa", "GIR 0AA", Confidence.MEDIUM),
]


@pytest.mark.parametrize(("written", "normalised", "confidence"), POSTCODES)
def test_postcodes_are_spotted_with_and_without_the_space(written, normalised, confidence):
    text = f"Address given as Flat 2, {written}."
    s = the_one(text, SpotKind.POSTCODE)
    assert (s.value, s.normalised, s.display, s.confidence) == (
        written,
        normalised,
        normalised,
        confidence,
    )
    assert s.entity_kind is EntityKind.LOCATION


@pytest.mark.parametrize(
    "text",
    [
        "SW1A 1AAA",  # too long
        "XSW1A 1AA",
        "QA1 1AA",  # Q, V and X never start a postcode
        "VA1 1AA",
        "XA1 1AA",
        "AI1 1AA",  # I never second
        "SW1A 1CA",  # C, I, K, M, O, V never in the inward part
        "M1 1AM",
        "SW1A-1AA",
        "SW1A 1aa",  # mixed case
        "AB123 4CD",
        "1AB 2CD",
        "EC1A1BB2",
        "GIR 1AA",
        "the M1 motorway",
        "TX-2026-0001",
        "A12 34B",
    ],
)
def test_things_that_are_not_postcodes(text):
    assert only(text, SpotKind.POSTCODE) == []


# --- vehicles -----------------------------------------------------------------------------
VEHICLES = [
    ("AB12 CDE", "AB12CDE", "AB12 CDE", "current", Confidence.HIGH),
    ("AB12CDE", "AB12CDE", "AB12 CDE", "current", Confidence.HIGH),
    ("ab12 cde", "AB12CDE", "AB12 CDE", "current", Confidence.MEDIUM),
    ("BD51 SMR", "BD51SMR", "BD51 SMR", "current", Confidence.HIGH),
    ("WP02 XYZ", "WP02XYZ", "WP02 XYZ", "current", Confidence.HIGH),
    ("SN74 HJK", "SN74HJK", "SN74 HJK", "current", Confidence.HIGH),
    ("FG29 ABZ", "FG29ABZ", "FG29 ABZ", "current", Confidence.HIGH),
    ("YX26 ZZZ", "YX26ZZZ", "YX26 ZZZ", "current", Confidence.HIGH),
    ("LV79 NPR", "LV79NPR", "LV79 NPR", "current", Confidence.HIGH),
    ("KM03\u00a0TUV", "KM03TUV", "KM03 TUV", "current", Confidence.HIGH),
    ("A123 BCD", "A123BCD", "A123 BCD", "prefix", Confidence.LOW),
    ("P7 XYZ", "P7XYZ", "P7 XYZ", "prefix", Confidence.LOW),
    ("R45BCD", "R45BCD", "R45 BCD", "prefix", Confidence.LOW),
    ("ABC 123D", "ABC123D", "ABC 123D", "suffix", Confidence.LOW),
    ("XYZ 1A", "XYZ1A", "XYZ 1A", "suffix", Confidence.LOW),
    ("GHT456K", "GHT456K", "GHT 456K", "suffix", Confidence.LOW),
]


@pytest.mark.parametrize(("written", "normalised", "display", "detail", "confidence"), VEHICLES)
def test_registrations_are_spotted(written, normalised, display, detail, confidence):
    text = f"Vehicle {written} seen at the services."
    s = the_one(text, SpotKind.VEHICLE)
    assert (s.value, s.normalised, s.display, s.detail, s.confidence) == (
        written,
        normalised,
        display,
        detail,
        confidence,
    )
    assert s.entity_kind is EntityKind.VEHICLE


@pytest.mark.parametrize(
    "text",
    [
        "AB00 CDE",  # no such age identifier
        "AB45 CDE",
        "AB91 CDE",
        "IB12 CDE",  # I, J, Q, T, U, X, Z never start the memory tag
        "QA12 CDE",
        "UK12 ABC",
        "TX12 ABC",
        "ZZ12 ABC",
        "AI12 CDE",  # I never second
        "AB12 CDI",  # I and Q never among the random letters
        "AB12 CDEF",
        "XAB12 CDE",
        "AB12-CDE",
        "AB12 the van",  # mixed case: a word after a code
        "Ab12 CDE",
        "M1 AND M6",  # capital words after road numbers
        "A40 THE",
        "NHS 111A",
        "COVID19 was",
        "a123 bcd",  # older formats only in capitals
        "TX-2026-0001",
    ],
)
def test_things_that_are_not_registrations(text):
    assert only(text, SpotKind.VEHICLE) == []


# --- e-mail, URLs, handles ----------------------------------------------------------------
EMAILS = [
    ("jane.doe@example.org", "jane.doe@example.org"),
    ("first+tag@example.co.uk", "first+tag@example.co.uk"),
    ("user_name@mail.example.com", "user_name@mail.example.com"),
    ("A.B@EXAMPLE.ORG", "A.B@example.org"),
    ("x@example.io", "x@example.io"),
    ("name-1@sub-domain.example.net", "name-1@sub-domain.example.net"),
    ("J.Smith99@Example.Police.UK", "J.Smith99@example.police.uk"),
    ("a@b.co", "a@b.co"),
    ("ivan.petrov@example.ru", "ivan.petrov@example.ru"),
    ("nguyen.van@example.vn", "nguyen.van@example.vn"),
    ("100%real@example.org", "100%real@example.org"),
    ("jane@www.example.org", "jane@www.example.org"),
]


@pytest.mark.parametrize(("written", "normalised"), EMAILS)
@pytest.mark.parametrize("around", ["{}", "e-mail: {}.", "({})", "<{}>", "mailto:{}", "{}, then"])
def test_email_addresses(written, normalised, around):
    text = around.format(written)
    s = the_one(text, SpotKind.EMAIL)
    assert (s.value, s.normalised) == (written, normalised)
    assert s.entity_kind is EntityKind.ONLINE_ACCOUNT


@pytest.mark.parametrize(
    "text",
    [
        "jane@",
        "jane@example",  # no top-level domain
        "jane@@example.org",
        "jane@example.c",
        "jane..doe@example.org",
        "jane@-example.org",
        "jane@example.org2",
        "Иванjane@example.org",  # glued to a word
        "a" * 70 + "@example.org",  # a local part over 64 characters
        "meet @ example.org",
    ],
)
def test_things_that_are_not_email_addresses(text):
    assert only(text, SpotKind.EMAIL) == []


URLS = [
    ("https://example.org", "https://example.org", Confidence.HIGH),
    ("http://example.org/path?q=1#frag", "http://example.org/path?q=1#frag", Confidence.HIGH),
    ("https://example.org/", "https://example.org", Confidence.HIGH),
    ("https://en.example.org/wiki/Foo_(bar)", "https://en.example.org/wiki/Foo_(bar)", 3),
    ("HTTPS://EXAMPLE.ORG/Path", "https://example.org/Path", Confidence.HIGH),
    ("https://sub.example.org:8080/x", "https://sub.example.org:8080/x", Confidence.HIGH),
    ("https://user@example.org/x", "https://user@example.org/x", Confidence.HIGH),
    ("http://192.0.2.1/panel", "http://192.0.2.1/panel", Confidence.HIGH),
    ("https://пример.рф/путь", "https://пример.рф/путь", Confidence.HIGH),
    ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2", Confidence.HIGH),
    ("www.example.co.uk/page", "www.example.co.uk/page", Confidence.MEDIUM),
    ("WWW.Example.ORG", "www.example.org", Confidence.MEDIUM),
    ("https://t.example/@jane_doe", "https://t.example/@jane_doe", Confidence.HIGH),
    ("https://example.org/call/07700900123", "https://example.org/call/07700900123", 3),
]


@pytest.mark.parametrize(("written", "normalised", "confidence"), URLS)
@pytest.mark.parametrize("around", ["{}", "see {}.", "({})", "'{}'", "[{}]", "{}, and", "{}?!"])
def test_urls_without_trailing_punctuation_or_unbalanced_brackets(
    written, normalised, confidence, around
):
    text = around.format(written)
    s = the_one(text, SpotKind.URL)
    assert (s.value, s.normalised, s.confidence) == (written, normalised, confidence)


@pytest.mark.parametrize(
    "text",
    [
        "http://",
        "https://x",
        "www.example",
        "example.org",  # no scheme and no www.: too many false hits (file names, "e.g.")
        "ftp://example.org",
        "xhttps://example.org",
        "awww.example.org",
        "https:// example.org",
    ],
)
def test_things_that_are_not_urls(text):
    assert only(text, SpotKind.URL) == []


HANDLES = [
    ("@jane_doe", "@jane_doe", Confidence.HIGH),
    ("@JaneDoe", "@janedoe", Confidence.HIGH),
    ("@jane.doe", "@jane.doe", Confidence.HIGH),
    ("@user_123", "@user_123", Confidence.HIGH),
    ("@ab.cd_ef", "@ab.cd_ef", Confidence.HIGH),
    ("@x", "@x", Confidence.MEDIUM),
    ("@a1", "@a1", Confidence.MEDIUM),
    ("@_dealer_", "@_dealer_", Confidence.HIGH),
    ("@2fast4u", "@2fast4u", Confidence.HIGH),
    ("@" + "a" * 30, "@" + "a" * 30, Confidence.HIGH),
]


@pytest.mark.parametrize(("written", "normalised", "confidence"), HANDLES)
@pytest.mark.parametrize(
    "around", ["{}", "snap {}.", "({})", "{}: hi", "by {}, then", "IG:{}", "Instagram – {}!"]
)
def test_social_handles(written, normalised, confidence, around):
    text = around.format(written)
    s = the_one(text, SpotKind.HANDLE)
    assert (s.value, s.normalised, s.confidence) == (written, normalised, confidence)
    assert s.entity_kind is EntityKind.ONLINE_ACCOUNT


@pytest.mark.parametrize(
    "text",
    [
        "meet @ 5pm",
        "meet @5pm",
        "meet @10:30",
        "meet @12",
        "jane@example.org",
        "contact @example.com",
        "@" + "a" * 31,
        "@@jane",
        "x@jane",
        "@_",
        "@jane-doe",
        "Иван@jane",
    ],
)
def test_things_that_are_not_handles(text):
    assert only(text, SpotKind.HANDLE) == []


# --- IBAN and sort code + account --------------------------------------------------------
@pytest.mark.parametrize(
    "iban",
    [
        "GB82WEST12345698765432",
        "GB33BUKB20201555555555",
        "GB29NWBK60161331926819",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        make_iban("GB", "TOEX01020312345678"),
        make_iban("IE", "AIBK93115212345678"),
        make_iban("PL", "109010140000071219812874"),
    ],
)
@pytest.mark.parametrize("spaced", [False, True])
def test_valid_ibans_compact_and_in_groups(iban, spaced):
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    written = grouped if spaced else iban
    text = f"Paid into {written} on Friday."
    s = the_one(text, SpotKind.IBAN)
    assert iban_valid(iban)
    assert (s.value, s.normalised, s.display) == (written, iban, grouped)
    assert s.validated and s.confidence is Confidence.HIGH


def test_a_uk_iban_with_wrong_check_digits_is_flagged_not_trusted():
    for bad in ("GB00WEST12345698765432", "GB83WEST12345698765432", "GB82WEST12345698765433"):
        s = the_one(f"IBAN {bad}", SpotKind.IBAN)
        assert not iban_valid(bad)
        assert (s.validated, s.confidence, s.detail) == (False, Confidence.LOW, "bad_check_digits")


@pytest.mark.parametrize(
    "text",
    [
        "DE00370400440532013000",  # other countries: only with good check digits
        "GB82WEST1234569876543",  # one digit short
        "GB82WEST123456987654321",
        "XX82WEST12345698765432",  # no such country
        "gb82west12345698765432",  # IBANs are written in capitals
        "GB82WEST12345698765432X",
    ],
)
def test_things_that_are_not_ibans(text):
    assert only(text, SpotKind.IBAN) == []


def test_a_spaced_iban_stops_at_its_own_length():
    text = "GB82 WEST 1234 5698 7654 32 12 June"
    s = only(text, SpotKind.IBAN)[0]
    assert s.value == "GB82 WEST 1234 5698 7654 32"


SORT_CODES = [
    ("12-34-56 12345678", "12-34-56 12345678", Confidence.MEDIUM),
    ("12-34-56, 12345678", "12-34-56 12345678", Confidence.MEDIUM),
    ("12-34-56 a/c 12345678", "12-34-56 12345678", Confidence.HIGH),
    ("12-34-56, account no. 12345678", "12-34-56 12345678", Confidence.HIGH),
    ("sort code 123456 account 12345678", "12-34-56 12345678", Confidence.HIGH),
    ("Sort Code: 12 34 56, Account Number: 12345678", "12-34-56 12345678", Confidence.HIGH),
    ("sort-code 12-34-56 acc 12345678", "12-34-56 12345678", Confidence.HIGH),
    ("S/C 12-34-56 A/C 12345678", "12-34-56 12345678", Confidence.HIGH),
    ("SORTCODE 12–34–56 ACCT 12345678", "12-34-56 12345678", Confidence.HIGH),
]


@pytest.mark.parametrize(("text", "normalised", "confidence"), SORT_CODES)
def test_sort_code_and_account(text, normalised, confidence):
    s = the_one(f"Funds moved from {text} yesterday.", SpotKind.SORT_CODE_ACCOUNT)
    assert (s.normalised, s.confidence) == (normalised, confidence)
    assert s.value.startswith("12") and s.value.endswith("12345678")


@pytest.mark.parametrize(
    "text",
    [
        "12-34-56",
        "12-34-56 1234567",
        "12-34-56 123456789",
        "123456 12345678",  # unlabelled without hyphens: any two numbers
        "12 34 56 12345678",
        "sort code 12-34-56",
        "sort code 12-34-56 then 99 and 12345678",  # digits in between
        "1-12-34-56 12345678",
        "resort code 123456 account 12345678",
    ],
)
def test_things_that_are_not_sort_code_and_account(text):
    assert only(text, SpotKind.SORT_CODE_ACCOUNT) == []


def test_bank_spots_have_no_entity_kind_until_there_is_one():
    s = the_one("sort code 12-34-56 account 12345678", SpotKind.SORT_CODE_ACCOUNT)
    assert s.entity_kind is getattr(EntityKind, "BANK_ACCOUNT", None)
    assert SpotKind.IBAN.entity_kind is s.entity_kind


# --- overlaps, order, offsets, grouping ---------------------------------------------------
def test_overlaps_the_longer_spot_wins():
    text = (
        "jane@www.example.org; https://example.org/u/@jane_doe/07700900123?pc=SW1A1AA; "
        "GB82 WEST 1234 5698 7654 32; write to jane@example.org"
    )
    found = spot(text)
    assert [(s.kind, s.value) for s in found] == [
        (SpotKind.EMAIL, "jane@www.example.org"),
        (SpotKind.URL, "https://example.org/u/@jane_doe/07700900123?pc=SW1A1AA"),
        (SpotKind.IBAN, "GB82 WEST 1234 5698 7654 32"),
        (SpotKind.EMAIL, "jane@example.org"),
    ]


def test_resolve_keeps_the_higher_priority_of_two_as_long():
    a = Spot(SpotKind.VEHICLE, "x" * 8, "X", "X", 0, 8)
    b = Spot(SpotKind.POSTCODE, "x" * 8, "Y", "Y", 4, 12)
    c = Spot(SpotKind.PHONE, "x" * 3, "Z", "Z", 20, 23)
    assert resolve([c, a, b]) == [b, c]


def test_kinds_filter_after_overlaps_are_settled():
    text = "https://example.org/07700900123 and 07700 900456"
    assert [s.value for s in spot(text, kinds=["phone"])] == ["07700 900456"]
    assert spot(text, kinds=[SpotKind.EMAIL]) == []


def test_results_are_sorted_and_offsets_point_at_the_text():
    text = (
        "Nguyễn Văn Đức (07700 900123) ở Hà Nội; Łukasz Wiśniewski tel.+44 7700 900456, "
        "Дмитрий Иванов: 020 7946 0018, d.ivanov@example.org; Zoë Ó Briain—AB12 CDE "
        "at SW1A 1AA 📞07700 900789 @đức_fan? no: @duc_fan. Mariana Ţepeş GB82WEST12345698765432"
    )
    found = spot(text)
    assert [s.start for s in found] == sorted(s.start for s in found)
    for s in found:
        assert text[s.start : s.end] == s.value
    assert [(s.kind.value, s.value) for s in found] == [
        ("phone", "07700 900123"),
        ("phone", "+44 7700 900456"),
        ("phone", "020 7946 0018"),
        ("email", "d.ivanov@example.org"),
        ("vehicle", "AB12 CDE"),
        ("postcode", "SW1A 1AA"),
        ("phone", "07700 900789"),
        ("handle", "@duc_fan"),
        ("iban", "GB82WEST12345698765432"),
    ]


def test_distinct_groups_repeats_and_keeps_every_place():
    text = "Call 07700 900123. Later +44 7700 900123 again, then 07700900123; AB12 CDE."
    groups = distinct(spot(text))
    phone, car = groups
    assert (phone.kind, phone.normalised, phone.display) == (
        SpotKind.PHONE,
        "+447700900123",
        "07700 900123",
    )
    assert phone.count == 3
    assert [text[a:b] for a, b in phone.spans] == [
        "07700 900123",
        "+44 7700 900123",
        "07700900123",
    ]
    assert phone.values == ("07700 900123", "+44 7700 900123", "07700900123")
    assert phone.entity_kind is EntityKind.PHONE and phone.entity_name == "07700 900123"
    assert car.spans == ((text.index("AB12"), text.index("AB12") + 8),)


def test_distinct_keeps_the_best_confidence():
    groups = distinct(spot("sw1a1aa then SW1A 1AA"))
    assert len(groups) == 1 and groups[0].confidence is Confidence.HIGH


def test_snippet_shows_where_it_was_seen():
    text = "First line.\nThe suspect called\n07700 900123\nfrom a box. " + "x" * 100
    s = the_one(text[:60], SpotKind.PHONE)
    before, match, after = snippet(text, s.start, s.end, width=20)
    assert match == "07700 900123"
    assert before == "…The suspect called "
    assert after.startswith(" from a box.") and after.endswith("…")
    assert snippet("07700 900123", 0, 12) == ("", "07700 900123", "")


def test_canonical_reads_a_whole_value():
    assert canonical(" +44 (0)20 7946 0018 ").normalised == "+442079460018"
    assert canonical("ab12cde", "vehicle").display == "AB12 CDE"
    assert canonical("AB12 CDE", SpotKind.PHONE) is None
    assert canonical("call 07700 900123") is None
    assert canonical("Drite Ceka") is None


def test_empty_and_plain_text():
    assert spot("") == []
    assert spot("Nothing to see here, move along. 2026, 14:30, £1,200.50.") == []


def test_spot_kinds_map_onto_entity_kinds():
    assert SpotKind.PHONE.entity_kind is EntityKind.PHONE
    assert SpotKind.VEHICLE.entity_kind is EntityKind.VEHICLE
    assert SpotKind.POSTCODE.entity_kind is EntityKind.LOCATION
    for kind in (SpotKind.EMAIL, SpotKind.URL, SpotKind.HANDLE):
        assert kind.entity_kind is EntityKind.ONLINE_ACCOUNT
    assert SpotKind.parse("Sort code and account number") is SpotKind.SORT_CODE_ACCOUNT
    assert SpotKind.PHONE.value == EntityKind.PHONE.value
    assert SpotKind.VEHICLE.value == EntityKind.VEHICLE.value


# --- adversarial input --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "a" * 100_000 + "@",
        "a" * 100_000 + "@example.org",
        "a." * 50_000 + "@example.org",
        "@" * 100_000,
        "@a" * 50_000,
        "1" * 100_000,
        "0" * 100_000,
        "0 " * 50_000,
        "0-" * 50_000,
        "+44 " * 25_000,
        "(0" * 50_000,
        "07700 " * 20_000,
        "http://" + "a." * 50_000,
        "http://" + "a" * 100_000,
        "https://example.org/" + "(" * 50_000 + ")" * 50_000 + "." * 1000,
        "http:// " * 20_000,
        "www." * 25_000,
        "jane@" + "a." * 50_000,
        "jane@" + "a-" * 50_000 + ".org",
        "A1" * 50_000,
        "AB12 " * 20_000,
        "A1 " * 30_000,
        "GB82" + "1" * 100_000,
        "GB82 " + "WEST " * 20_000,
        "12-" * 30_000,
        "12-34-56 " * 10_000,
        "sort code " * 10_000 + "12-34-56",
        "sort code 12-34-56 " + "x" * 100_000,
        "\n" * 100_000,
        "€£$" * 30_000,
    ],
)
def test_adversarial_inputs_finish_quickly(text):
    # The patterns are built so that no run can make them backtrack badly; these would take
    # minutes with a careless pattern. No timing is asserted: a hang fails the run.
    found = spot(text)
    assert all(text[s.start : s.end] == s.value for s in found)


def test_a_large_text_is_spotted_once_through():
    chunk = (
        "On 12/07/2026 at 14:30 Nguyễn Văn Đức called 07700 900123 from SW1A 1AA about "
        "AB12 CDE; ref TX-2026-0001, £1,200.50 to GB82 WEST 1234 5698 7654 32, see "
        "https://example.org/x and mail jane@example.org or @jane_doe; "
        "sort code 12-34-56 account 12345678.\n"
    )
    text = chunk * 1000  # ~0.25 MB
    found = spot(text)
    assert len(found) == 1000 * 8
    assert len(distinct(found)) == 8


# --- names -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["Nguyễn Văn Đức", "Łukasz Wiśniewski", "  ZOË   O'Brien ", "Søren Ærø", "Dritë Çeka", "ß"],
)
def test_fold_is_the_entity_service_normalise(name):
    assert fold(name) == entities.normalise(name)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("  Dritë  Çeka-O'Neill.", "drite ceka oneill"),
        ("Ceka, Drite", "ceka drite"),
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("Дмитрий  Иванов", "дмитрии иванов"),  # as the service folds: й loses its breve
        ("O’Brien", "obrien"),
        ("...", ""),
    ],
)
def test_name_key(name, key):
    assert name_key(name) == key


def test_compact_key():
    assert compact_key("AB12 CDE") == compact_key("ab12-cde") == "ab12cde"


EXISTING = [
    (1, "Drite Ceka"),
    (2, "Ceka, Drite"),
    (3, "Dritan Cekaj"),
    (4, "Marek Nowak"),
    (5, "DRITË ÇEKA"),
    (6, "Drita Ceka"),
    (7, "Drite Ceka Gashi"),
    (8, "Ali Khan"),
]


def test_similar_names_ranks_folded_and_reordered_names_first():
    found = similar_names("Dritë Çeka", EXISTING, kind="person")
    assert [i for i, _, _ in found] == [1, 5, 2, 6, 7]
    assert [score for _, _, score in found][:3] == [100.0, 100.0, 100.0]
    assert all(score >= 85 for _, _, score in found)
    assert found[0] == (1, "Drite Ceka", 100.0)


def test_similar_names_limit_and_threshold():
    assert [i for i, _, _ in similar_names("Drite Ceka", EXISTING, limit=2)] == [1, 5]
    loose = similar_names("Drite Ceka", EXISTING, limit=10, threshold=80)
    assert 3 in [i for i, _, _ in loose] and 4 not in [i for i, _, _ in loose]
    assert similar_names("Drite Ceka", EXISTING, limit=0) == []
    assert similar_names("", EXISTING) == []
    assert similar_names("Drite Ceka", []) == []


def test_similar_names_does_not_suggest_relatives_or_strangers_with_the_same_surname():
    existing = [(1, "Arben Ceka"), (2, "Person 000123 Ceka"), (3, "Ceka"), (4, "Drite")]
    assert similar_names("Drite Ceka", existing) == []
    assert [i for i, _, _ in similar_names("Drite Ceka", existing, threshold=60)] == [4, 1]


def test_similar_names_short_names_do_not_match_every_longer_one():
    assert similar_names("Al", EXISTING, threshold=50) == []
    assert similar_names("Ali", [(1, "Ali"), (2, "Alina Ceka")]) == [(1, "Ali", 100.0)]


def test_similar_names_punctuation_and_unicode():
    existing = [(10, "OBrien, Zoe"), (11, "Trần Thị Lan"), (12, "Wiśniewska Anna")]
    assert similar_names("Zoë O'Brien", existing)[0][:2] == (10, "OBrien, Zoe")
    assert similar_names("TRAN THI LAN", existing)[0][0] == 11
    assert similar_names("Anna Wisniewska", existing)[0][0] == 12


def test_similar_identifiers_compare_whole():
    phones = [(1, "+44 7700 900123"), (2, "07700 900124"), (3, "07700 900999")]
    found = similar_names("07700 900123", phones, kind=EntityKind.PHONE)
    assert [(i, score) for i, _, score in found] == [(1, 100.0), (2, 90.9)]
    cars = [(1, "AB12CDE"), (2, "ab12 cdf"), (3, "XY51 ZZZ")]
    assert [i for i, _, _ in similar_names("AB12 CDE", cars, kind="vehicle")] == [1, 2]
    handles = [(1, "@Jane_Doe"), (2, "@jane_do"), (3, "@john")]
    assert [i for i, _, _ in similar_names("@jane_doe", handles, kind="online_account")] == [
        1,
        2,
    ]
    # a spot kind stands for the entity kind it becomes
    assert similar_names("@jane_doe", handles, kind=SpotKind.HANDLE) == similar_names(
        "@jane_doe", handles, kind="handle"
    )
    assert [i for i, _, _ in similar_names("@jane_doe", handles, kind="handle")] == [1, 2]


def test_similar_names_over_many_entities():
    existing = [(i, f"Person {i:05d} Ceka") for i in range(20_000)] + [(99_999, "Drite Ceka")]
    assert similar_names("Dritë Çeka", existing) == [(99_999, "Drite Ceka", 100.0)]
