"""The Place Standard as a ready-made appraisal instrument: its 14 themes in the tool's order, each
with its question and a short prompt of things to think about, scored on its 1-7 scale.

Source: the Place Standard tool (https://www.placestandard.scot), by NHS Health Scotland (now
Public Health Scotland), Architecture and Design Scotland and the Scottish Government. The theme
names and the scale are the tool's; the questions and prompts here are written in our own words,
faithful to the tool's. Officers can edit every criterion after starting from the template.

The texts are marked for the translation catalogue: the view hands the create service a
``translate`` function, so an instrument is stored in the language of the officer who made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engage.i18n import N_


@dataclass(frozen=True)
class Theme:
    label: str
    question: str
    hint: str  # things to think about


SCALE_MIN = 1
SCALE_MAX = 7
LOW_LABEL = N_("A lot of room for improvement")
HIGH_LABEL = N_("Very little room for improvement")
TITLE = N_("How good is our place? (Place Standard)")
SOURCE = N_(
    "Based on the Place Standard tool by NHS Health Scotland, Architecture and Design Scotland "
    "and the Scottish Government (placestandard.scot)."
)
DESCRIPTION = N_(
    "Fourteen questions about the physical and social sides of a place, from the Place "
    "Standard tool. Score each from 1 (a lot of room for improvement) to 7 (very little room "
    "for improvement) and say why."
)

THEMES: tuple[Theme, ...] = (
    Theme(
        N_("Moving around"),
        N_("Can I easily walk and cycle around using good-quality routes?"),
        N_(
            "Pavements and paths, cycle routes, crossings, steps and slopes, lighting, and "
            "whether routes take you where you want to go."
        ),
    ),
    Theme(
        N_("Public transport"),
        N_("Does public transport meet my needs?"),
        N_(
            "Where buses, trams and trains go, how often and how late they run, what they "
            "cost, and how easy stops and stations are to reach and use."
        ),
    ),
    Theme(
        N_("Traffic and parking"),
        N_(
            "Do traffic and parking let people move around safely and meet the needs of the "
            "community?"
        ),
        N_(
            "Speed and volume of traffic, noise and fumes, space for deliveries and disabled "
            "parking, and parked cars blocking pavements."
        ),
    ),
    Theme(
        N_("Streets and spaces"),
        N_(
            "Do buildings, streets and public spaces make an attractive place that is easy to find your way around?"
        ),
        N_(
            "How buildings and spaces look and fit together, landmarks and views, and whether "
            "it is easy to find your way."
        ),
    ),
    Theme(
        N_("Natural space"),
        N_("Can I regularly enjoy good-quality natural space?"),
        N_(
            "Parks, woods, rivers and the coast, street trees and green verges, and how easy "
            "they are to reach and use throughout the year."
        ),
    ),
    Theme(
        N_("Play and recreation"),
        N_("Can I use a range of spaces with opportunities for play and recreation?"),
        N_(
            "Places to play, do sport or simply spend time, for every age and ability, indoors "
            "and outdoors, and whether they are free to use."
        ),
    ),
    Theme(
        N_("Facilities and services"),
        N_("Do facilities and services meet my needs?"),
        N_(
            "Shops, schools, health services, libraries, community centres and other services: "
            "whether they are there, good and easy to get to."
        ),
    ),
    Theme(
        N_("Work and local economy"),
        N_("Is there an active local economy and a chance of good-quality work?"),
        N_(
            "Jobs, training and volunteering nearby, local businesses and markets, and how easy "
            "it is to get to work elsewhere."
        ),
    ),
    Theme(
        N_("Housing and community"),
        N_("Do the homes in this place support the needs of the community?"),
        N_(
            "Enough homes of the right kinds and prices, their quality and energy use, and "
            "homes that suit people at every stage of life."
        ),
    ),
    Theme(
        N_("Social interaction"),
        N_("Is there a range of spaces and opportunities to meet people?"),
        N_(
            "Places and events where people can meet and mix, groups and clubs, and whether "
            "people feel welcome in them."
        ),
    ),
    Theme(
        N_("Identity and belonging"),
        N_("Does this place have a positive identity, and do I feel I belong?"),
        N_(
            "Its history, culture and reputation, how people feel about living here, and "
            "whether everyone feels part of it."
        ),
    ),
    Theme(
        N_("Feeling safe"),
        N_("Do I feel safe here?"),
        N_(
            "By day and at night, for people of every age and background: lighting, busy or "
            "empty spaces, antisocial behaviour and crime."
        ),
    ),
    Theme(
        N_("Care and maintenance"),
        N_("Are buildings and spaces well looked after?"),
        N_(
            "Litter, graffiti and vandalism, empty or derelict buildings, and how quickly "
            "problems are reported and put right."
        ),
    ),
    Theme(
        N_("Influence and sense of control"),
        N_("Do I feel able to take part in decisions and help change things for the better?"),
        N_(
            "Whether people are asked and listened to, know how to have a say, and see "
            "decisions change because of it."
        ),
    ),
)
