"""Property tests of the Connecting Women routes with request bodies,
generated from the contract's own request schemas (MentorCreate,
MentorPatch, MenteeProfileWrite, MenteeProfilePatch, TandemCreate,
TandemPatch, MeetingCreate, EventCreate, EventPatch).

The converter of test_partners_property.py turns the schemas into
Hypothesis strategies (here with date-times added); references (places,
taxonomy codes, mentor accounts, mentors, participants, tandems, events)
come from the API or from what this module creates through it. Each
example is a valid body or a valid body with one mutation (a required
member dropped, an unknown member added, a member of the wrong type).
For every route:

- the answer is a status the contract documents for the operation, never
  a 5xx (the `api` client checks both, and the body's schema);
- a mutated body is refused with 422 pointing at the mutated member;
- a 422 always names the fields (errors[]);
- a valid body gets exactly the answer the programme's rules give for it
  (db/migrations/0005_women.sql: a KldB code with a known main group,
  women-only mentee profiles, an active mentor with a free place and one
  active tandem per mentee, started_on two years back to one year ahead,
  meetings inside the tandem, events in the years 2000 to 2099 ending
  after they start, somewhere or online, capacity not below the
  registered, and who may change a mentor's status): a refusal for any
  other reason fails. Languages are drawn from the taxonomy, each once,
  since the database refuses repeats;
- every route succeeds at least once over the run (a 201 for each create
  and for the first PUT of a mentee profile)."""

import collections
import datetime
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_partners_property import (JSON_VALUE, MODES, Converter,
                                    documented, request_schema,
                                    wrong_type_strategy)
from women_util import (ERFURT, GOTHA, Caller, bearer, grant,
                        mentor_account, mentor_body, new_participant,
                        put_profile, register, unique)

SETTINGS = settings(
    max_examples=50, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.function_scoped_fixture,
                           HealthCheck.filter_too_much,
                           HealthCheck.data_too_large])

# Stand for accounts in MentorCreate.user_id: the fresh mentor account of
# the example, an account that is not a mentor's, a mentor account of
# another district, a mentor account that has its profile already.
ACCOUNT = "00000000-0000-4000-8000-00000000acc7"
NOT_MENTOR = "00000000-0000-4000-8000-00000000acc8"
ELSEWHERE = "00000000-0000-4000-8000-00000000acc9"
PROFILED = "00000000-0000-4000-8000-00000000acca"

DAY = 86400
EPOCH = datetime.date(1970, 1, 1).toordinal()
Y2000 = (datetime.date(2000, 1, 1).toordinal() - EPOCH) * DAY
Y2100 = (datetime.date(2100, 1, 1).toordinal() - EPOCH) * DAY
# Two instants this close (in ns) may be equal once PostgreSQL rounds
# them to microseconds: either answer is right.
ROUNDING = 2000


# ------------------------------------------------------------ date-times

def render(local_secs, offset_min, frac, sep="T", zone=None, leap=False):
    """RFC 3339 text for local wall-clock seconds since the epoch at an
    offset; leap writes a whole minute as second 60 of the one before."""
    if leap and local_secs % 60 == 0:
        local_secs -= 1
        sec_text = "60"
    else:
        sec_text = None
    days, rest = divmod(local_secs, DAY)
    d = datetime.date.fromordinal(days + EPOCH)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    if zone is None:
        sign = "-" if offset_min < 0 else "+"
        zone = "%s%02d:%02d" % (sign, abs(offset_min) // 60,
                                abs(offset_min) % 60)
    return "%04d-%02d-%02d%s%02d:%02d:%s%s%s" % (
        d.year, d.month, d.day, sep, h, m, sec_text or "%02d" % s,
        "." + frac if frac else "", zone)


def instant(text):
    """Nanoseconds since the epoch (UTC) of an RFC 3339 date-time, as
    PostgreSQL reads it (second 60 is the next minute)."""
    d = datetime.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    secs = (d.toordinal() - EPOCH) * DAY + int(text[11:13]) * 3600 + \
        int(text[14:16]) * 60 + int(text[17:19])
    i, ns = 19, 0
    if text[i] == ".":
        j = i + 1
        while text[j].isdigit():
            j += 1
        ns = int(text[i + 1:j].ljust(9, "0")[:9])
        i = j
    zone = text[i:]
    if zone not in ("Z", "z"):
        off = int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
        secs -= off if zone[0] == "+" else -off
    return secs * 10 ** 9 + ns


@st.composite
def date_times(draw, lo=None, hi=None):
    """RFC 3339 date-times: offsets within PostgreSQL's +-15:59, 0 to 9
    fraction digits, lower-case t and z, second 60 (without a fraction). Between lo and hi
    (UTC seconds) when given, else any year 1 to 9999."""
    if lo is None:
        local = draw(st.integers(
            (datetime.date(1, 1, 2).toordinal() - EPOCH) * DAY,
            (datetime.date(9999, 12, 30).toordinal() - EPOCH) * DAY))
        offset = draw(st.integers(-959, 959))
    else:
        offset = draw(st.sampled_from([0, 60, 120, -300, 330, 840, -720,
                                       959, -959]) |
                      st.integers(-959, 959))
        kind = draw(st.sampled_from(["any", "edge", "midnight"]))
        if kind == "midnight":
            # Local midnight: with second 60 the day before's 23:59:60.
            local = draw(st.integers(lo // DAY + 1, (hi - 1) // DAY)) * DAY
        else:
            utc = draw(st.integers(lo, hi - 1) if kind == "any" else
                       st.sampled_from([lo, hi - 1]))
            local = utc + offset * 60
    frac = draw(st.sampled_from(["", "", "", "0", "5", "123", "999999",
                                 "9999999", "999999999", "0000004",
                                 "123456789", "000000001"]))
    sep = draw(st.sampled_from(["T", "T", "T", "t"]))
    zone = None
    if offset == 0:
        zone = draw(st.sampled_from(["Z", "z", "+00:00", "-00:00"]))
    leap = draw(st.booleans()) if local % 60 == 0 else False
    if leap:
        # The API refuses a fraction on a leap second (PostgreSQL cannot
        # store 23:59:60.5, which lies past midnight).
        frac = ""
    return render(local, offset, frac, sep, zone, leap)


def any_date_time():
    return st.one_of(date_times(Y2000, Y2100), date_times(Y2000, Y2100),
                     date_times(Y2000, Y2100), date_times())


class WomenConverter(Converter):
    """The converter of the partners tests, plus format date-time and
    strings of exactly maxLength characters of 1 to 4 bytes in UTF-8
    (the partners' converter stops at 200)."""

    def string(self, node):
        if node.get("format") == "date-time":
            return any_date_time()
        s = super().string(node)
        hi = node.get("maxLength")
        if hi is None or "pattern" in node or "format" in node:
            return s
        full = st.sampled_from(["a", "\u00e9", "\u20ac", "\U0001F469"]).map(
            lambda c: c * hi)
        return st.one_of(s, s, s, full)


# ------------------------------------------------------------ dates

def todays():
    """current_date of the database may be UTC or local time."""
    return {datetime.date.today(),
            datetime.datetime.now(datetime.timezone.utc).date()}


def within(d, back, ahead):
    """Whether the date lies in [today - back, today + ahead] days: True,
    False, or None when it depends on which today the database has."""
    d = datetime.date.fromisoformat(d)
    seen = {t - datetime.timedelta(days=back) <= d <=
            t + datetime.timedelta(days=ahead) for t in todays()}
    return seen.pop() if len(seen) == 1 else None


def not_after(d, ahead):
    """Whether the date is at most today + ahead days (True, False, None
    as within())."""
    d = datetime.date.fromisoformat(d)
    seen = {d <= t + datetime.timedelta(days=ahead) for t in todays()}
    return seen.pop() if len(seen) == 1 else None


def dates_near(back, ahead):
    """Dates mostly inside the window, at its edges included, and any
    date now and then."""
    today = datetime.date.today()
    inside = st.integers(-back, ahead).map(
        lambda n: (today + datetime.timedelta(days=n)).isoformat())
    edges = st.sampled_from([-back - 1, -back, ahead, ahead + 1]).map(
        lambda n: (today + datetime.timedelta(days=n)).isoformat())
    return st.one_of(inside, inside, inside, edges,
                     st.dates().map(lambda d: d.isoformat()))


# ------------------------------------------------------------ outcomes

class Expect:
    """The answers a valid body may get: (status, the fields a 422 names
    or None, the problem type's slug or None)."""

    def __init__(self, *outcomes):
        self.outcomes = [(o[0], None if o[1] is None else frozenset(o[1]),
                          o[2] if len(o) > 2 else None) for o in outcomes]

    def matches(self, r):
        fields = kind = None
        if r.status_code == 422:
            fields = frozenset(e["field"] for e in
                               r.json().get("errors") or [])
        if r.status_code >= 400:
            kind = r.json().get("type", "").replace("urn:ch:problem:", "")
        for status, want, want_kind in self.outcomes:
            if status == r.status_code and \
                    (want is None or want == fields) and \
                    (want_kind is None or want_kind == kind):
                return True
        return False


def outcome(errors, otherwise):
    """422 naming the errors when there are any, else otherwise."""
    return (422, errors) if errors else otherwise


def branches(flags, predict):
    """Every outcome of predict over the values an undecided flag (None)
    may take."""
    names = sorted(flags)
    combos = [{}]
    for n in names:
        values = [True, False] if flags[n] is None else [flags[n]]
        combos = [dict(c, **{n: v}) for c in combos for v in values]
    outcomes = []
    for c in combos:
        o = predict(**c)
        outcomes += o if isinstance(o, list) else [o]
    return Expect(*outcomes)


def before(a_ns, b_ns):
    """a < b for instants: True, False, or None within rounding."""
    if abs(a_ns - b_ns) < ROUNDING:
        return None
    return a_ns < b_ns


# ------------------------------------------------------------ records

class Refs:
    pass


def login_caller(api, role, district=ERFURT):
    return Caller.demo(api, role, district)


@pytest.fixture(scope="module")
def refs(api):
    r = Refs()
    r.admin = login_caller(api, "state_admin")
    r.coord = login_caller(api, "coordinator")
    r.assistant = login_caller(api, "assistant")
    r.gotha_coord = login_caller(api, "coordinator", GOTHA)
    r.gotha_assistant = login_caller(api, "assistant", GOTHA)

    def codes(name):
        return [t["code"] for t in
                api.get("/v1/taxonomies/" + name).json()["items"]]

    r.languages = codes("languages")
    r.fields = set(codes("occupational_fields"))
    r.places = [p["id"] for p in api.get(
        "/v1/places?district=16051&limit=50").json()["items"]]
    r.places += [p["id"] for p in api.get(
        "/v1/places?limit=20").json()["items"]]

    def mentor(district=ERFURT, status="active", **fields):
        acct = mentor_account(api, r.admin, district)
        coord = r.coord if district == ERFURT else r.gotha_coord
        body = mentor_body(user_id=acct.id, status=status, capacity=3,
                           **fields)
        resp = api.request("POST", "/v1/mentors",
                           headers=bearer(coord.token), json=body)
        assert resp.status_code == 201, resp.text
        return acct, resp.json()

    def woman(profile=True, cross=False, gender="female", assistant=None):
        token = (assistant or r.assistant).token
        p = new_participant(api, token, gender=gender,
                            display_name=unique("Prop W."))
        grant(api, token, p["id"], "matching")
        if cross:
            grant(api, token, p["id"], "cross_district")
        if profile:
            put_profile(api, token, p["id"])
        return p

    # A mentor account without a profile, for mutated MentorCreate bodies,
    # and one of another district.
    r.spare = mentor_account(api, r.admin, ERFURT)
    r.gotha_spare = mentor_account(api, r.admin, GOTHA)
    # mentor.patch: one approved, one only applied.
    r.patch_mentors = [mentor()[0:2], mentor(status="applied")[0:2]]

    # mentee.put and mentee.patch.
    r.men = [woman(profile=False, gender=g)["id"]
             for g in ("male", "diverse", "undisclosed")]
    r.profiled = [woman()["id"]]
    r.mentee_patch = woman()["id"]

    # tandem.create: mentors and would-be mentees with what decides.
    r.t_mentors = {}
    for district, status in ((ERFURT, "active"), (ERFURT, "active"),
                             (ERFURT, "applied"), (GOTHA, "active")):
        _, m = mentor(district, status)
        r.t_mentors[m["id"]] = {"status": status, "district": district,
                                "capacity": 3, "active": 0}
    r.t_people = {}
    for i in range(8):
        p = woman(cross=i < 2)
        r.t_people[p["id"]] = {"female": True, "profile": True,
                               "cross": i < 2, "active": False}
    p = woman(profile=False)
    r.t_people[p["id"]] = {"female": True, "profile": False,
                           "cross": False, "active": False}
    for pid in r.men:
        r.t_people[pid] = {"female": False, "profile": False,
                           "cross": False, "active": False}
    # Someone of another district: unknown to Erfurt's staff.
    r.t_foreign = woman(assistant=r.gotha_assistant)["id"]

    # tandem.patch: a mentor with room, a new tandem whenever one ended.
    r.tp_mentor = mentor()
    r.new_mentee = woman

    # meeting.create: an active tandem and its mentor.
    r.mt_mentor, mt = mentor()
    resp = api.request("POST", "/v1/tandems", headers=bearer(r.coord.token),
                       json={"mentor_id": mt["id"],
                             "participant_id": woman()["id"]})
    assert resp.status_code == 201, resp.text
    r.meeting_tandem = resp.json()

    # event.patch: capacity 2, two registered and one waiting.
    start = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0) + datetime.timedelta(days=30)
    resp = api.request("POST", "/v1/events", headers=bearer(r.coord.token),
                       json={"kind": "workshop", "title": unique("Prop E."),
                             "online": True, "starts_at": start.isoformat(),
                             "ends_at": (start + datetime.timedelta(
                                 hours=2)).isoformat(),
                             "capacity": 2})
    assert resp.status_code == 201, resp.text
    r.event = resp.json()["id"]
    for acct in (r.patch_mentors[0][0], r.tp_mentor[0], r.mt_mentor):
        register(api, acct.token, r.event)
    return r


# ------------------------------------------------------------ strategies

def kldb(r):
    """KldB codes: mostly of a known main group (or a known area alone),
    now and then any code of the pattern."""
    mains = sorted(c for c in r.fields if len(c) == 2)
    areas = sorted(c for c in r.fields if len(c) == 1)
    known = st.tuples(st.sampled_from(mains),
                      st.text("0123456789", max_size=3)).map("".join)
    return st.one_of(known, known, known, st.sampled_from(areas),
                     st.from_regex(r"^[0-9]{1,5}$", fullmatch=True))


def kldb_known(r, code):
    return code[:2] in r.fields


def spoken(spec, r):
    """Languages of the taxonomy, each once, with levels of the contract."""
    levels = spec.doc["components"]["schemas"]["LanguageLevel"]["enum"]
    item = st.fixed_dictionaries({"code": st.sampled_from(r.languages),
                                  "level": st.sampled_from(levels)})
    return st.lists(item, max_size=12, unique_by=lambda x: x["code"])


def known_ids(ids):
    """Mostly ids of records, now and then one that does not exist."""
    ids = sorted(ids)
    return st.integers(0, 7).flatmap(
        lambda i: st.uuids().map(str) if i == 7 else st.sampled_from(ids))


# ------------------------------------------------------------ routes

class Call:
    """One request of an example: who sends it where, and for a valid
    body what the answer must be."""

    def __init__(self, token, path, expect=None, headers=None):
        self.token = token
        self.path = path
        self.expect = expect
        self.headers = headers or {}


class Route:
    method = template = None

    def __init__(self, api, spec, r):
        self.api, self.spec, self.r = api, spec, r

    def overrides(self):
        return {}

    def adjust(self, data, body):
        """Makes a valid body likelier to pass the programme's rules; it
        stays valid."""
        return body

    def call(self, data, body, valid):
        raise NotImplementedError

    def record(self, call, body, resp):
        pass

    def etag(self, path, token=None):
        resp = self.api.get(path, headers=bearer(token or self.r.coord.token))
        assert resp.status_code == 200, resp.text
        return resp.headers["ETag"], resp.json()


class MentorCreate(Route):
    method, template = "POST", "/v1/mentors"

    def overrides(self):
        return {"/occupational_field": kldb(self.r),
                "/languages": spoken(self.spec, self.r),
                "/home_place_id": st.sampled_from(self.r.places),
                "/user_id": st.sampled_from([ACCOUNT, ACCOUNT, ACCOUNT,
                                             NOT_MENTOR, ELSEWHERE,
                                             PROFILED])}

    def call(self, data, body, valid):
        r = self.r
        if not valid:
            if body.get("user_id") in (ACCOUNT, NOT_MENTOR, ELSEWHERE,
                                       PROFILED):
                body["user_id"] = r.spare.id
                return Call(r.coord.token, self.template)
            return Call(r.spare.token, self.template)
        acct = mentor_account(self.api, r.admin, ERFURT)
        caller, who = "self", ACCOUNT
        if "user_id" in body:
            who = body["user_id"]
            body["user_id"] = {ACCOUNT: acct.id, NOT_MENTOR: r.assistant.id,
                               ELSEWHERE: r.gotha_spare.id,
                               PROFILED: r.patch_mentors[0][0].id}[who]
            caller = data.draw(st.sampled_from(["coordinator", "self"]),
                               label="caller")
        errors = []
        if not kldb_known(r, body["occupational_field"]):
            errors.append("/occupational_field")
        if caller == "self" and who != ACCOUNT:
            status = (403, None)
        elif who in (NOT_MENTOR, ELSEWHERE):
            status = (422, ["/user_id"])
        elif who == PROFILED:
            status = (409, None)
        elif errors:
            status = (422, errors)
        elif caller == "self" and body.get("status", "applied") != \
                "applied":
            status = (403, None)
        else:
            status = (201, None)
        token = r.coord.token if caller == "coordinator" else acct.token
        return Call(token, self.template, Expect(status))


class MentorPatch(Route):
    method, template = "PATCH", "/v1/mentors/{id}"

    def overrides(self):
        return {"/occupational_field": kldb(self.r),
                "/languages": spoken(self.spec, self.r),
                "/home_place_id": st.sampled_from(self.r.places)}

    def call(self, data, body, valid):
        acct, m = data.draw(st.sampled_from(self.r.patch_mentors),
                            label="mentor")
        path = "/v1/mentors/" + m["id"]
        etag, old = self.etag(path)
        caller = data.draw(st.sampled_from(["coordinator", "self"]),
                           label="caller")
        token = self.r.coord.token if caller == "coordinator" else \
            acct.token
        if not valid:
            return Call(token, path, headers={"If-Match": etag})
        errors = []
        if "occupational_field" in body and \
                not kldb_known(self.r, body["occupational_field"]):
            errors.append("/occupational_field")
        new = body.get("status", old["status"])
        if errors:
            status = (422, errors)
        elif caller == "self" and new != old["status"] and not (
                old["approved_at"] is not None and
                old["status"] != "retired" and
                new in ("active", "paused", "retired")):
            status = (403, None)
        else:
            status = (200, None)
        return Call(token, path, Expect(status), {"If-Match": etag})


class MenteePut(Route):
    method = "PUT"
    template = "/v1/participants/{id}/mentee-profile"

    def overrides(self):
        return {"/target_occupational_field": kldb(self.r)}

    def call(self, data, body, valid):
        r = self.r
        kind = data.draw(st.sampled_from(
            ["new", "existing", "existing", "not female"] if valid else
            ["existing"]), label="participant")
        token = data.draw(st.sampled_from(["coord", "assistant"]),
                          label="caller")
        token = getattr(r, token).token
        headers = {}
        if kind == "new":
            pid = new_participant(self.api, r.assistant.token,
                                  gender="female")["id"]
        elif kind == "not female":
            pid = data.draw(st.sampled_from(r.men), label="person")
        else:
            # An index, not the list: the draws stay the same however
            # many profiles earlier examples made.
            pid = r.profiled[data.draw(st.integers(0, 255), label="woman")
                             % len(r.profiled)]
        path = self.template.format(id=pid)
        if kind == "existing" and data.draw(st.booleans(),
                                            label="if-match"):
            headers["If-Match"] = self.etag(path)[0]
        c = Call(token, path, headers=headers)
        c.pid = pid
        if not valid:
            return c
        field = body.get("target_occupational_field")
        if kind == "not female":
            status = (422, ["/participant_id"], "women-only")
        elif field is not None and not kldb_known(r, field):
            status = (422, ["/target_occupational_field"])
        else:
            status = (201 if kind == "new" else 200, None)
        c.expect = Expect(status)
        return c

    def record(self, call, body, resp):
        if resp.status_code == 201:
            self.r.profiled.append(call.pid)


class MenteePatch(Route):
    method = "PATCH"
    template = "/v1/participants/{id}/mentee-profile"

    def overrides(self):
        return {"/target_occupational_field": kldb(self.r)}

    def call(self, data, body, valid):
        r = self.r
        path = self.template.format(id=r.mentee_patch)
        token = data.draw(st.sampled_from(["coord", "assistant"]),
                          label="caller")
        token = getattr(r, token).token
        c = Call(token, path, headers={"If-Match": self.etag(path)[0]})
        field = body.get("target_occupational_field")
        if not valid:
            return c
        if field is not None and not kldb_known(r, field):
            c.expect = Expect((422, ["/target_occupational_field"]))
        else:
            c.expect = Expect((200, None))
        return c


class TandemCreate(Route):
    method, template = "POST", "/v1/tandems"

    def overrides(self):
        r = self.r
        return {"/mentor_id": known_ids(r.t_mentors),
                "/participant_id": known_ids(list(r.t_people) +
                                             [r.t_foreign]),
                "/started_on": dates_near(730, 366)}

    def call(self, data, body, valid):
        r = self.r
        token = data.draw(st.sampled_from(["coord", "assistant"]),
                          label="caller")
        token = getattr(r, token).token
        if not valid:
            return Call(token, self.template)
        m = r.t_mentors.get(body["mentor_id"])
        p = r.t_people.get(body["participant_id"])
        started = True if "started_on" not in body else \
            within(body["started_on"], 730, 366)

        def predict(started):
            errors = []
            if p is None:
                errors.append("/participant_id")
            if m is None:
                errors.append("/mentor_id")
            if not started:
                errors.append("/started_on")
            if errors:
                return (422, frozenset(errors))
            if not p["female"] or not p["profile"] or \
                    m["status"] != "active" or \
                    (m["district"] != ERFURT and not p["cross"]):
                return (409, None)
            kinds = []
            if m["active"] >= m["capacity"]:
                kinds.append((409, None, "capacity-exhausted"))
            if p["active"]:
                kinds.append((409, None, "mentee-has-tandem"))
            return kinds or (201, None)

        return Call(token, self.template,
                    branches({"started": started}, predict))

    def record(self, call, body, resp):
        if resp.status_code == 201:
            self.r.t_mentors[body["mentor_id"]]["active"] += 1
            self.r.t_people[body["participant_id"]]["active"] = True


ENDING = ("outcome", "end_reason", "contract_type", "ended_on",
          "outcome_date")


class TandemPatch(Route):
    method, template = "PATCH", "/v1/tandems/{id}"
    current = None

    def tandem(self):
        """The active tandem the examples patch; a new one once it ended."""
        r = self.r
        if self.current is None:
            p = r.new_mentee()
            resp = self.api.request(
                "POST", "/v1/tandems", headers=bearer(r.assistant.token),
                json={"mentor_id": r.tp_mentor[1]["id"],
                      "participant_id": p["id"]})
            assert resp.status_code == 201, resp.text
            self.current = resp.json()["id"]
        return self.current

    def adjust(self, data, body):
        if not data.draw(st.booleans(), label="coherent"):
            return body
        spec = self.spec.doc["components"]["schemas"]["TandemPatch"]
        props = spec["properties"]
        if "status" not in body:
            for k in ENDING:
                body.pop(k, None)
        else:
            if "outcome" not in body:
                body["outcome"] = data.draw(st.sampled_from(
                    props["outcome"]["enum"]), label="outcome")
            if body["status"] == "ended_early" and "end_reason" not in body:
                body["end_reason"] = data.draw(st.sampled_from(
                    props["end_reason"]["enum"]), label="end_reason")
            if body["status"] == "completed":
                body.pop("end_reason", None)
            if body["outcome"] != "job":
                body.pop("contract_type", None)
            if body.get("ended_on", "9999") < datetime.date.today() \
                    .isoformat():
                body.pop("ended_on")
        if not body:
            body["planned_months"] = data.draw(st.integers(6, 12))
        return body

    def call(self, data, body, valid):
        r = self.r
        path = "/v1/tandems/" + self.tandem()
        etag, old = self.etag(path)
        caller = data.draw(st.sampled_from(["coordinator", "assistant",
                                            "mentor"]), label="caller")
        token = {"coordinator": r.coord, "assistant": r.assistant,
                 "mentor": r.tp_mentor[0]}[caller].token
        if not valid:
            return Call(token, path, headers={"If-Match": etag})
        if "status" not in body:
            if any(k in body for k in ENDING):
                status = (422, ["/status"])
            else:
                status = (200, None)
        else:
            errors = []
            if "outcome" not in body:
                errors.append("/outcome")
            if body["status"] == "ended_early" and "end_reason" not in body:
                errors.append("/end_reason")
            if body["status"] == "completed" and "end_reason" in body:
                errors.append("/end_reason")
            if "contract_type" in body and body.get("outcome") != "job":
                errors.append("/contract_type")
            if body.get("ended_on", "9999") < old["started_on"]:
                errors.append("/ended_on")
            status = outcome(errors, (200, None))
        return Call(token, path, Expect(status), {"If-Match": etag})

    def record(self, call, body, resp):
        if resp.status_code == 200 and resp.json()["status"] != "active":
            self.current = None


class MeetingCreate(Route):
    method, template = "POST", "/v1/tandems/{id}/meetings"

    def overrides(self):
        return {"/held_on": dates_near(0, 366)}

    def call(self, data, body, valid):
        t = self.r.meeting_tandem
        path = self.template.format(id=t["id"])
        token = self.r.mt_mentor.token
        if not valid:
            return Call(token, path)
        held = body["held_on"]
        ok = False if held < t["started_on"] else not_after(held, 366)
        return Call(token, path, branches(
            {"ok": ok}, lambda ok: (201, None) if ok else
            (422, frozenset(["/held_on"]))))


def event_rules(doc, success, registered=0):
    """The answers an event document (members left out take their
    defaults) may get: 422 naming what breaks the rules, else success."""
    fixed = set()
    if doc.get("place_id") is None and not doc.get("online", False):
        fixed.add("/place_id")
    if doc["capacity"] < registered:
        fixed.add("/capacity")
    s, e = instant(doc["starts_at"]), instant(doc["ends_at"])
    flags = {"s_early": before(s, Y2000 * 10 ** 9),
             "s_ok": before(s, Y2100 * 10 ** 9),
             "e_early": before(e, Y2000 * 10 ** 9),
             "e_ok": before(e, Y2100 * 10 ** 9),
             "e_after": before(s, e)}

    def predict(s_early, s_ok, e_early, e_ok, e_after):
        f = set(fixed)
        if s_early or not s_ok:
            f.add("/starts_at")
        if e_early or not e_ok or not e_after:
            f.add("/ends_at")
        return outcome(f, success)

    return branches(flags, predict)


class EventCreate(Route):
    method, template = "POST", "/v1/events"

    def overrides(self):
        return {"/place_id": st.sampled_from(self.r.places)}

    def adjust(self, data, body):
        if not data.draw(st.booleans(), label="coherent"):
            return body
        if body.get("place_id") is None:
            body["online"] = True
        if not Y2000 <= instant(body["starts_at"]) // 10 ** 9 < \
                Y2100 - 31 * DAY:
            body["starts_at"] = data.draw(date_times(Y2000, Y2100 - 31 * DAY),
                                          label="starts_at")
        s = instant(body["starts_at"]) // 10 ** 9
        if not s + 60 <= instant(body["ends_at"]) // 10 ** 9 < Y2100:
            body["ends_at"] = data.draw(date_times(s + 60, s + 30 * DAY),
                                        label="ends_at")
        return body

    def call(self, data, body, valid):
        expect = event_rules(body, (201, None)) if valid else None
        return Call(self.r.coord.token, self.template, expect)


class EventPatch(Route):
    method, template = "PATCH", "/v1/events/{id}"

    def overrides(self):
        return {"/place_id": st.sampled_from(self.r.places)}

    def call(self, data, body, valid):
        path = "/v1/events/" + self.r.event
        etag, old = self.etag(path)
        doc = {k: old[k] for k in ("kind", "title", "description",
                                   "place_id", "online", "starts_at",
                                   "ends_at", "capacity", "status")}
        for k, v in body.items():
            doc[k] = v
        expect = event_rules(doc, (200, None), old["registered"]) \
            if valid else None
        return Call(self.r.coord.token, path, expect, {"If-Match": etag})


def integral(data, body):
    """Now and then the integers of a valid body as numbers with a zero
    fraction (2.0): JSON Schema's integer, the same value for the API."""
    if data.draw(st.booleans(), label="integral numbers"):
        for k, v in body.items():
            if isinstance(v, int) and not isinstance(v, bool):
                body[k] = float(v)
    return body


ROUTES = {"mentor.create": MentorCreate, "mentor.patch": MentorPatch,
          "mentee.put": MenteePut, "mentee.patch": MenteePatch,
          "tandem.create": TandemCreate, "tandem.patch": TandemPatch,
          "meeting.create": MeetingCreate, "event.create": EventCreate,
          "event.patch": EventPatch}
SUCCESS = {"POST": 201, "PUT": 201, "PATCH": 200}


@pytest.mark.parametrize("name", list(ROUTES))
def test_bodies_from_the_contract(api, spec, refs, name):
    route = ROUTES[name](api, spec, refs)
    method, template = route.method, route.template
    schema = request_schema(spec, method, template)
    conv = WomenConverter(spec.doc, route.overrides())
    node = conv.deref(schema)
    props = node["properties"]
    valid_bodies = conv.strategy(schema)
    allowed = documented(spec, method, template)
    statuses = collections.Counter()

    @SETTINGS
    @given(data=st.data())
    def run(data):
        body = dict(data.draw(valid_bodies, label="body"))
        mode = data.draw(st.sampled_from(MODES), label="mode")
        target = None
        if mode == "valid":
            body = integral(data, route.adjust(data, body))
        elif mode == "drop" and [k for k in node.get("required", [])
                                 if k in body]:
            target = data.draw(st.sampled_from(
                [k for k in node["required"] if k in body]))
            del body[target]
        elif mode == "extra":
            target = data.draw(st.from_regex(r"[a-z_]{1,20}", fullmatch=True)
                               .filter(lambda k: k not in props))
            body[target] = data.draw(JSON_VALUE, label="extra value")
        elif mode == "type" and body:
            target = data.draw(st.sampled_from(sorted(body)))
            body[target] = data.draw(wrong_type_strategy(conv,
                                                         props[target]))
        else:
            mode = "valid"
            body = integral(data, route.adjust(data, body))

        call = route.call(data, body, mode == "valid")
        headers = dict(bearer(call.token), **call.headers)
        if method == "PATCH":
            headers["Content-Type"] = data.draw(st.sampled_from(
                ["application/merge-patch+json", "application/json"]))
        else:
            headers["Content-Type"] = "application/json"
        # Raw UTF-8, or \u escapes (surrogate pairs beyond the BMP).
        ascii_only = data.draw(st.booleans(), label="ensure_ascii")
        r = api.request(method, call.path, headers=headers,
                        data=json.dumps(body,
                                        ensure_ascii=ascii_only).encode())
        statuses[r.status_code] += 1
        where = (method, call.path, mode, target, body, r.status_code,
                 r.text)
        assert r.status_code < 500, where
        assert str(r.status_code) in allowed, where
        if r.status_code >= 400:
            assert r.headers["Content-Type"] == \
                "application/problem+json", where
        if r.status_code == 422:
            errors = r.json().get("errors") or []
            assert errors, ("a 422 must name the offending fields",) + where
            assert all(e["field"].startswith("/") or e["field"] == ""
                       for e in errors), where
        if mode != "valid":
            assert r.status_code == 422, where
            fields = [e["field"] for e in r.json().get("errors", [])]
            assert fields == ["/" + target], (fields,) + where
        else:
            assert call.expect.matches(r), (call.expect.outcomes,) + where
            route.record(call, body, r)

    run()
    assert statuses[SUCCESS[method]] >= 1, (
        "no valid body succeeded over the run", statuses)


# ------------------------------------------------------------ the model

def test_the_date_time_model_reads_what_it_writes():
    """render() writes date-times of the contract's format (RFC 3339) and
    instant() reads them back as the instant they were made from, second
    60 included: the predictions for events rest on both."""
    from spec import RFC3339

    @settings(max_examples=200, deadline=None, derandomize=True,
              database=None)
    @given(secs=st.integers(Y2000, Y2100 - 1), off=st.integers(-959, 959),
           leap=st.booleans())
    def run(secs, off, leap):
        text = render(secs + off * 60, off, "5", leap=leap)
        assert RFC3339.match(text), text
        assert instant(text) == secs * 10 ** 9 + 5 * 10 ** 8

    run()
    assert instant("2000-01-01T01:00:00+01:00") == Y2000 * 10 ** 9
    assert instant("2099-12-31T23:59:60Z") == Y2100 * 10 ** 9
    assert instant("1999-12-31t19:00:00.000000001-05:00") == \
        Y2000 * 10 ** 9 + 1
