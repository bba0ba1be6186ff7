#!/usr/bin/env python3
"""Writes the campaign configs Immunise ships (NHS England's Eligibility Signposting format) beside this script.

The JSON files are the source of truth the service loads; this script is how they were written, because the COVID-19
2020/21 campaign repeats its cohorts and rules in every dated iteration (one per opening of a priority group) and
writing that by hand invites mistakes. Run it after changing a campaign here:

    python3 src/Immunise/Eligibility/Campaigns/generate_campaigns.py

Facts come from docs/eligibility.md ("Shipped campaigns"): JCVI priority groups of 30 December 2020 and phase 2 of
13 April 2021 (age on 31 March 2021 and on 1 July 2021), COVID-19 spring 2026 and autumn 2026, flu 2025/26 and 2026/27.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

RISK_GROUPS = [
    "chronic_respiratory", "chronic_heart", "chronic_kidney", "chronic_liver", "chronic_neurological", "diabetes",
    "asplenia", "immunosuppression", "morbid_obesity", "learning_disability", "severe_mental_illness", "pregnancy",
    "clinically_extremely_vulnerable",
]


def rule(type_, name, description, priority, level, attribute, operator, comparator, cohorts=None, target=None,
         rule_stop=False, routing=None):
    r = {"Type": type_, "Name": name, "Description": description, "Priority": priority, "AttributeLevel": level}
    if attribute is not None:
        r["AttributeName"] = attribute
    if target is not None:
        r["AttributeTarget"] = target
    r["Operator"] = operator
    r["Comparator"] = comparator
    if cohorts:
        r["CohortLabel"] = ",".join(cohorts)
    if rule_stop:
        r["RuleStop"] = "Y"
    if routing:
        r["CommsRouting"] = routing
    return r


def cohort(label, positive, negative, priority, virtual):
    return {"CohortLabel": label, "CohortGroup": label, "PositiveDescription": positive, "NegativeDescription": negative,
            "Priority": priority, "Virtual": "Y" if virtual else "N"}


def action(code, type_, description, url=None, label=""):
    return {"ExternalRoutingCode": code, "ActionType": type_, "ActionDescription": description, "UrlLink": url,
            "UrlLabel": label}


def actions(vaccine, book_path):
    return {
        "BOOK": action("BookImmunise", "ButtonWithAuthLink",
                       f"## Book your {vaccine} vaccination\n\nYou can book an appointment online at a vaccination site near you.",
                       book_path, "Book an appointment"),
        "ALREADY_VACCINATED": action("AlreadyVaccinatedInfo", "InfoText",
                                     f"### If you think this is incorrect\n\nIf you have not had this {vaccine} vaccination, "
                                     "speak to your GP surgery or a pharmacist."),
        "NOT_ELIGIBLE": action("NotEligibleInfo", "InfoText",
                               f"### If you think this is incorrect\n\nSpeak to your GP surgery if you think you should be "
                               f"offered the {vaccine} vaccine."),
        "CARE_SETTING": action("CareSettingInfo", "InfoText",
                               f"### Getting the vaccine\n\nSpeak to a member of staff where you live about getting the "
                               f"{vaccine} vaccine."),
    }


def campaign(id_, name, target, start, end, iterations):
    return {"CampaignConfig": {
        "ID": id_, "Version": 1, "Name": name, "Type": "V", "Target": target,
        "Manager": ["immunise@example.nhs.uk"], "Approver": ["immunise@example.nhs.uk"],
        "Reviewer": ["immunise@example.nhs.uk"],
        "IterationFrequency": "X", "IterationType": "M", "IterationTime": "00:00:00",
        "StartDate": start, "EndDate": end, "ApprovalMinimum": 0, "ApprovalMaximum": 0,
        "DefaultCommsRouting": "BOOK", "Iterations": iterations}}


def iteration(id_, number, name, date, cohorts, rules, mapper, status_text):
    return {"ID": id_, "Version": 1, "Name": name, "IterationDate": date, "IterationNumber": number, "CommsType": "I",
            "ApprovalMinimum": 0, "ApprovalMaximum": 0, "Type": "M",
            "DefaultCommsRouting": "BOOK", "DefaultNotEligibleRouting": "NOT_ELIGIBLE",
            "DefaultNotActionableRouting": "ALREADY_VACCINATED",
            "StatusText": status_text,
            "IterationCohorts": cohorts, "IterationRules": rules, "ActionsMapper": mapper}


def deceased_rule():
    return rule("F", "Deceased", "Remove anyone recorded as having died", 10, "PERSON", "DATE_OF_DEATH",
                "is_not_null", "")


# ---------------------------------------------------------------------------------------------------------------------
# COVID-19 2020/21: JCVI priority groups 1-9 (age on 31 March 2021), then phase 2 (age on 1 July 2021).
# Each group is a virtual cohort; filter rules keep in it exactly the people whose HIGHEST group it is: a person who
# does not qualify for the group, or who qualifies for a group above it, is filtered out. A group opens on the date of
# the first iteration that lists it.
# ---------------------------------------------------------------------------------------------------------------------
PHASE1 = "20210331"
PHASE2 = "20210701"
CARE_HOME = ["care_home", "occupation_care_home_worker"]
FRONTLINE = ["occupation_frontline_health_worker", "occupation_frontline_social_care_worker"]
CEV = ["risk_clinically_extremely_vulnerable"]
PREGNANT = ["risk_pregnancy"]
GROUP6 = ["risk_" + g for g in RISK_GROUPS if g != "pregnancy"] + ["occupation_unpaid_carer"]


def aged(n, ref):
    """(operator, comparator) for: aged n or over on ref."""
    return ("Y<=", f"-{n}[[OFFSET:{ref}]]")


def under(n, ref):
    """(operator, comparator) for: under n on ref."""
    return ("Y>", f"-{n}[[OFFSET:{ref}]]")


def dob(cond, text):
    return ("PERSON", "DATE_OF_BIRTH", cond[0], cond[1], text)


def member(labels, text):
    return ("COHORT", "COHORT_LABEL", "MemberOf", ",".join(labels), text)


def not_member(labels, text):
    return ("COHORT", "COHORT_LABEL", "NotMemberOf", ",".join(labels), text)


def ref_text(ref):
    return "31 March 2021" if ref == PHASE1 else "1 July 2021"


# Each group: label, opening date, citizen text, what qualifies (terms ORed; each term's conditions ANDed), and what
# fails to qualify (the negation, written out as terms ORed, each ANDed).
GROUPS = [
    ("covid_jcvi_group_1", "20201208",
     "live in a care home for older adults, or work in one (priority group 1)",
     [[member(CARE_HOME, "lives or works in a care home")]],
     [[not_member(CARE_HOME, "neither lives nor works in a care home")]]),
    ("covid_jcvi_group_2", "20201208",
     "are aged 80 or over on 31 March 2021, or are a frontline health or social care worker (priority group 2)",
     [[dob(aged(80, PHASE1), "aged 80 or over on 31 March 2021")], [member(FRONTLINE, "frontline health or social care worker")]],
     [[dob(under(80, PHASE1), "under 80 on 31 March 2021"), not_member(FRONTLINE, "not a frontline health or social care worker")]]),
    ("covid_jcvi_group_3", "20210118",
     "are aged 75 or over on 31 March 2021 (priority group 3)",
     [[dob(aged(75, PHASE1), "aged 75 or over on 31 March 2021")]],
     [[dob(under(75, PHASE1), "under 75 on 31 March 2021")]]),
    ("covid_jcvi_group_4", "20210118",
     "are aged 70 or over on 31 March 2021, or are clinically extremely vulnerable (priority group 4)",
     [[dob(aged(70, PHASE1), "aged 70 or over on 31 March 2021")],
      [member(CEV, "clinically extremely vulnerable"), dob(aged(16, PHASE1), "aged 16 or over on 31 March 2021"),
       not_member(PREGNANT, "not pregnant")]],
     [[dob(under(70, PHASE1), "under 70 on 31 March 2021"), not_member(CEV, "not clinically extremely vulnerable")],
      [dob(under(70, PHASE1), "under 70 on 31 March 2021"), dob(under(16, PHASE1), "under 16 on 31 March 2021")],
      [dob(under(70, PHASE1), "under 70 on 31 March 2021"), member(PREGNANT, "pregnant")]]),
    ("covid_jcvi_group_5", "20210215",
     "are aged 65 or over on 31 March 2021 (priority group 5)",
     [[dob(aged(65, PHASE1), "aged 65 or over on 31 March 2021")]],
     [[dob(under(65, PHASE1), "under 65 on 31 March 2021")]]),
    ("covid_jcvi_group_6", "20210215",
     "are aged 16 to 64 with a health condition that puts you at higher risk, or are an unpaid carer (priority group 6)",
     [[dob(aged(16, PHASE1), "aged 16 or over on 31 March 2021"), dob(under(65, PHASE1), "under 65 on 31 March 2021"),
       member(GROUP6, "has an underlying health condition or is an unpaid carer")]],
     [[dob(under(16, PHASE1), "under 16 on 31 March 2021")],
      [dob(aged(65, PHASE1), "aged 65 or over on 31 March 2021")],
      [not_member(GROUP6, "no underlying health condition and not an unpaid carer")]]),
    ("covid_jcvi_group_7", "20210301",
     "are aged 60 or over on 31 March 2021 (priority group 7)",
     [[dob(aged(60, PHASE1), "aged 60 or over on 31 March 2021")]],
     [[dob(under(60, PHASE1), "under 60 on 31 March 2021")]]),
    ("covid_jcvi_group_8", "20210306",
     "are aged 55 or over on 31 March 2021 (priority group 8)",
     [[dob(aged(55, PHASE1), "aged 55 or over on 31 March 2021")]],
     [[dob(under(55, PHASE1), "under 55 on 31 March 2021")]]),
    ("covid_jcvi_group_9", "20210317",
     "are aged 50 or over on 31 March 2021 (priority group 9)",
     [[dob(aged(50, PHASE1), "aged 50 or over on 31 March 2021")]],
     [[dob(under(50, PHASE1), "under 50 on 31 March 2021")]]),
]
# Phase 2: everyone not in groups 1-9, by age on 1 July 2021, in the bands the booking service opened.
for low, high, opens in [(45, 49, "20210413"), (40, 44, "20210430"), (38, 39, "20210513"), (30, 37, "20210525"),
                         (25, 29, "20210608"), (18, 24, "20210618")]:
    GROUPS.append((
        f"covid_phase2_{low}_{high}", opens,
        f"are aged {low} to {high} on 1 July 2021 (phase 2)",
        [[dob(aged(low, PHASE2), f"aged {low} or over on 1 July 2021")]],
        [[dob(under(low, PHASE2), f"under {low} on 1 July 2021")]]))

OPENINGS = {
    "20201208": "groups 1 and 2",
    "20210118": "groups 3 and 4",
    "20210215": "groups 5 and 6",
    "20210301": "group 7",
    "20210306": "group 8",
    "20210317": "group 9",
    "20210413": "phase 2, aged 45 to 49",
    "20210430": "phase 2, aged 40 to 44",
    "20210513": "phase 2, aged 38 and 39",
    "20210525": "phase 2, aged 30 to 37",
    "20210608": "phase 2, aged 25 to 29",
    "20210618": "phase 2, aged 18 to 24",
}


def negative(label):
    """What a person not in the group is shown: the group's name, as the booking service spoke of it."""
    if label.startswith("covid_jcvi_group_"):
        return f"are not in priority group {label.rsplit('_', 1)[1]}"
    low, high = label.split("_")[2:4]
    return f"are not aged {low} to {high} on 1 July 2021, or are in an earlier priority group"


def covid_2020_21():
    dates = sorted({g[1] for g in GROUPS})
    iterations = []
    for number, date in enumerate(dates, start=1):
        open_groups = [g for g in GROUPS if g[1] <= date]
        labels = [g[0] for g in open_groups]
        cohorts = [cohort(g[0], g[2], negative(g[0]), 10 * (i + 1), True) for i, g in enumerate(open_groups)]
        rules = [deceased_rule()]
        priority = 100
        for i, g in enumerate(open_groups):
            label, _, _, _, fails = g
            # Not in this group.
            for term in fails:
                for level, attr, op, comp, text in term:
                    rules.append(rule("F", f"Not in {label}", f"Remove from {label}: {text}", priority, level, attr, op, comp, [label]))
                priority += 10
            # In a group above this one: each qualifying term of every higher group filters out the lower groups.
            lower = labels[i + 1:]
            if lower:
                for term in g[3]:
                    for level, attr, op, comp, text in term:
                        rules.append(rule("F", f"In {label}", f"In a higher priority group ({label}): {text}", priority, level, attr, op, comp, lower))
                    priority += 10
        rules.append(rule("S", "AlreadyVaccinated",
                          "## You've had a COVID-19 vaccination\n\nWe believe you had a COVID-19 vaccination on "
                          "[[TARGET.COVID.LAST_SUCCESSFUL_DATE:DATE(%-d %B %Y)]]. We will contact you about your second dose.",
                          2000, "TARGET", "LAST_SUCCESSFUL_DATE", "D<=", "0", target="COVID", rule_stop=True))
        rules.append(rule("Y", "Already vaccinated", "Already vaccinated", 3000, "TARGET", "LAST_SUCCESSFUL_DATE", "D<=", "0",
                          target="COVID", routing="ALREADY_VACCINATED"))
        rules.append(rule("R", "Care home residents", "Care home residents are vaccinated where they live", 1000, "PERSON",
                          "CARE_HOME_FLAG", "=", "Y", routing="CARE_SETTING"))
        iterations.append(iteration(
            f"covid-2020-21-{number:02d}", number, f"COVID-19 2020/21: {OPENINGS[date]} open", date, cohorts, rules,
            actions("COVID-19", "/book/covid-19"),
            {"NotEligible": "You cannot book a COVID-19 vaccination yet",
             "NotActionable": "You should have the COVID-19 vaccine",
             "Actionable": "You can book your first dose of the COVID-19 vaccine"}))
    return campaign("IMMUNISE_COVID_2020_21", "COVID-19 first doses 2020/21 (JCVI priority groups)", "COVID",
                    "20201208", "20210930", iterations)


# ---------------------------------------------------------------------------------------------------------------------
# COVID-19 spring 2026.
# ---------------------------------------------------------------------------------------------------------------------
def covid_seasonal(key, name, start, end, age_by, age_by_text):
    """A seasonal COVID-19 campaign for people aged 75 or over by age_by (yyyymmdd), care home residents and the
    immunosuppressed aged 6 months or over; not within 91 days of a dose."""
    label = f"covid_{key.replace('-', '_')}_75_plus"
    cohorts = [
        cohort(label, f"are aged 75 or over (including those who will be 75 by {age_by_text})",
               f"are not aged 75 or over by {age_by_text}", 10, True),
        cohort("care_home", "live in a care home for older adults", "do not live in a care home for older adults", 20, False),
        cohort("risk_immunosuppression", "have a weakened immune system because of a health condition or treatment",
               "do not have a weakened immune system because of a health condition or treatment", 30, False),
    ]
    rules = [
        deceased_rule(),
        rule("F", f"Under 75 by {age_by_text}", f"Remove anyone who will not be 75 by {age_by_text}", 100, "PERSON",
             "DATE_OF_BIRTH", "Y>", f"-75[[OFFSET:{age_by}]]", [label]),
        rule("F", "Under 6 months", "Remove babies under 6 months (26 weeks) old", 110, "PERSON", "DATE_OF_BIRTH", "W>",
             "-26", ["risk_immunosuppression"]),
        rule("S", "TooClose",
             "## You had a COVID-19 vaccination recently\n\nWe believe you had a COVID-19 vaccination on "
             "[[TARGET.COVID.LAST_SUCCESSFUL_DATE:DATE(%-d %B %Y)]]. You need to wait at least 3 months (91 days) "
             "between doses.", 500, "TARGET", "LAST_SUCCESSFUL_DATE", "D>", "-91", target="COVID", rule_stop=True),
        rule("R", "Care home residents", "Care home residents are vaccinated where they live", 1000, "PERSON",
             "CARE_HOME_FLAG", "=", "Y", routing="CARE_SETTING"),
        rule("Y", "Too close", "Vaccinated in the last 91 days", 3000, "TARGET", "LAST_SUCCESSFUL_DATE", "D>", "-91",
             target="COVID", routing="ALREADY_VACCINATED"),
    ]
    it = iteration(f"covid-{key}-01", 1, name, start, cohorts, rules,
                   actions("COVID-19", "/book/covid-19"),
                   {"NotEligible": "We do not believe you can have it",
                    "NotActionable": "You should have the COVID-19 vaccine",
                    "Actionable": "You should have the COVID-19 vaccine"})
    return campaign(f"IMMUNISE_COVID_{key.upper().replace('-', '_')}", name, "COVID", start, end, [it])


def covid_spring_2026():
    return covid_seasonal("spring-2026", "COVID-19 spring 2026", "20260401", "20260630", "20260630", "30 June 2026")


# COVID-19 autumn 2026: the same groups as spring 2026 and autumn 2025 (75 and over, care homes for older adults, the
# immunosuppressed from 6 months), from 1 October 2026 to 31 January 2027, age judged at the campaign's end. (check)
def covid_autumn_2026():
    return covid_seasonal("autumn-2026", "COVID-19 autumn 2026", "20261001", "20270131", "20270131", "31 January 2027")


# ---------------------------------------------------------------------------------------------------------------------
# Flu 2025/26: from 1 September children, pregnant women and at-risk children; from 1 October adults.
# ---------------------------------------------------------------------------------------------------------------------
FLU_AT_RISK = ["risk_" + g for g in ["chronic_respiratory", "chronic_heart", "chronic_kidney", "chronic_liver",
                                      "chronic_neurological", "diabetes", "asplenia", "immunosuppression", "morbid_obesity"]]


def flu_season(y):
    """Flu for the season starting 1 September of year y: ages judged on 31 August y and 31 March y+1."""
    key = f"{y}_{(y + 1) % 100:02d}"
    title = f"{y}/{(y + 1) % 100:02d}"
    aug = f"31 August {y}"
    aug_code = f"{y}0831"
    mar = f"31 March {y + 1}"
    mar_code = f"{y + 1}0331"
    september = [
        (cohort("risk_pregnancy", "are pregnant", "are not pregnant", 10, False), []),
        (cohort(f"flu_{key}_age_2_3", f"were aged 2 or 3 on {aug}", f"were not aged 2 or 3 on {aug}", 20, True),
         [("Y>", f"-2[[OFFSET:{aug_code}]]", f"Under 2 on {aug}"), ("Y<=", f"-4[[OFFSET:{aug_code}]]", f"4 or over on {aug}")]),
        (cohort(f"flu_{key}_school_age", "are in a school year from Reception to Year 11",
                "are not in a school year from Reception to Year 11", 30, True),
         [("Y>", f"-4[[OFFSET:{aug_code}]]", f"Under 4 on {aug}"), ("Y<=", f"-16[[OFFSET:{aug_code}]]", f"16 or over on {aug}")]),
        (cohort(f"flu_{key}_at_risk_children", "are aged 6 months to 17 years with a health condition that puts you at higher risk",
                "are not aged 6 months to 17 years with a health condition that puts you at higher risk", 40, True),
         [("W>", "-26", "Under 6 months (26 weeks)"), ("Y<=", f"-18[[OFFSET:{mar_code}]]", f"18 or over by {mar}"),
          ("NotMemberOf", ",".join(FLU_AT_RISK), "No health condition that puts them at higher risk")]),
    ]
    october = [
        (cohort(f"flu_{key}_65_plus", f"are aged 65 or over (including those who will be 65 by {mar})",
                f"are not aged 65 or over by {mar}", 50, True),
         [("Y>", f"-65[[OFFSET:{mar_code}]]", f"Under 65 by {mar}")]),
        (cohort(f"flu_{key}_at_risk_adults", "are aged 18 to 64 with a health condition that puts you at higher risk",
                "are not aged 18 to 64 with a health condition that puts you at higher risk", 60, True),
         [("Y>", f"-18[[OFFSET:{mar_code}]]", f"Under 18 on {mar}"), ("Y<=", f"-65[[OFFSET:{mar_code}]]", f"65 or over by {mar}"),
          ("NotMemberOf", ",".join(FLU_AT_RISK), "No health condition that puts them at higher risk")]),
        (cohort("care_home", "live in a care home", "do not live in a care home", 70, False), []),
        (cohort("occupation_unpaid_carer", "are an unpaid carer", "are not an unpaid carer", 80, False), []),
        (cohort("occupation_household_contact_immunosuppressed", "live with someone who has a weakened immune system",
                "do not live with someone who has a weakened immune system", 90, False), []),
        (cohort("occupation_frontline_health_worker", "are a frontline health worker", "are not a frontline health worker", 100, False), []),
        (cohort("occupation_frontline_social_care_worker", "are a frontline social care worker",
                "are not a frontline social care worker", 110, False), []),
        (cohort("occupation_care_home_worker", "work in a care home", "do not work in a care home", 120, False), []),
    ]

    def build(number, date, name, entries):
        rules = [deceased_rule()]
        priority = 100
        for c, filters in entries:
            for op, comp, text in filters:
                level, attr = ("COHORT", "COHORT_LABEL") if op == "NotMemberOf" else ("PERSON", "DATE_OF_BIRTH")
                rules.append(rule("F", text, f"Remove from {c['CohortLabel']}: {text}", priority, level, attr, op, comp, [c["CohortLabel"]]))
                priority += 10
        rules.append(rule("S", "AlreadyVaccinated",
                          "## You've had your flu vaccination\n\nWe believe you had a flu vaccination this season, on "
                          "[[TARGET.FLU.LAST_SUCCESSFUL_DATE:DATE(%-d %B %Y)]].",
                          500, "TARGET", "LAST_SUCCESSFUL_DATE", ">=", f"{y}0901", target="FLU", rule_stop=True))
        rules.append(rule("R", "Care home residents", "Care home residents are vaccinated where they live", 1000, "PERSON",
                          "CARE_HOME_FLAG", "=", "Y", routing="CARE_SETTING"))
        rules.append(rule("Y", "Already vaccinated", "Vaccinated this season", 3000, "TARGET", "LAST_SUCCESSFUL_DATE", ">=",
                          f"{y}0901", target="FLU", routing="ALREADY_VACCINATED"))
        return iteration(f"flu-{key.replace('_', '-')}-{number:02d}", number, name, date, [c for c, _ in entries], rules,
                         actions("flu", "/book/flu"),
                         {"NotEligible": "We do not believe you can have it",
                          "NotActionable": "You should have the flu vaccine",
                          "Actionable": "You should have the flu vaccine"})

    return campaign(f"IMMUNISE_FLU_{key}", f"Flu {title}", "FLU", f"{y}0901", mar_code, [
        build(1, f"{y}0901", f"Flu {title} from 1 September: children and pregnant women", september),
        build(2, f"{y}1001", f"Flu {title} from 1 October: adults", september + october),
    ])


def flu_2025_26():
    return flu_season(2025)


def flu_2026_27():
    return flu_season(2026)


def write(name, config):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    write("covid-2020-21.campaign.json", covid_2020_21())
    write("covid-spring-2026.campaign.json", covid_spring_2026())
    write("flu-2025-26.campaign.json", flu_2025_26())
    write("covid-autumn-2026.campaign.json", covid_autumn_2026())
    write("flu-2026-27.campaign.json", flu_2026_27())
