"""Every text the bot says, in bokmål (``nb``) and English (``en``).

Keys are the same in both languages and so are the ``{placeholders}``; a
test checks it.  Command names in texts use ``{p}`` for the adapter's
command prefix (``/`` in Telegram and the console, ``!`` in Matrix).
"""

from __future__ import annotations

LANGUAGES = ("nb", "en")

TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "help": (
            "Dilemmabot – etikkdilemmaer for folkevalgte (KS Folkevalgtprogram).\n"
            "{p}cases – vis dilemmaene\n"
            "{p}start ID [timer 3m] – start et dilemma i denne chatten\n"
            "{p}vote VALG – stem (eller trykk på knappene)\n"
            "{p}close – lukk avstemningen og vis resultat og diskusjonspunkter\n"
            "{p}next – neste del\n"
            "{p}stop – avslutt runden\n"
            "{p}results – resultatene fra siste runde\n"
            "{p}refs – lovhenvisninger for delen\n"
            "{p}selftest [ID] – test deg selv i privat chat\n"
            "{p}schedule ID NÅR [until NÅR] – planlegg et dilemma før en samling\n"
            "{p}schedules, {p}unschedule N – vis eller fjern planlagte\n"
            "{p}lang nb|en, {p}tz SONE – språk og tidssone for chatten\n"
            "{p}forget – slett stemmene dine\n"
            "{p}privacy – hva som lagres"
        ),
        "help.anonymous": "Stemmene er anonyme: ingen ser hvem som stemte hva.",
        "help.reactions": (
            "Boten viser bare summer, men her er en stemme en reaksjon eller et svar i avstemningen, "
            "og begge deler kan alle i rommet se."
        ),
        "cases.header": "Dilemmaer",
        "cases.line": "{id} – {title} ({parts} deler)",
        "cases.line_one": "{id} – {title} (1 del)",
        "cases.footer": "Start med {p}start ID, eller {p}selftest ID i privat chat.",
        "cases.none": "Ingen dilemmaer er lastet.",
        "round.started": "Nytt dilemma",
        "round.source": "Kilde: {source}",
        "round.parts": "{parts} deler. Stemmene er anonyme.",
        "round.timer": "Hver del lukkes automatisk etter {minutes} min.",
        "part.heading": "Del {n} av {total}",
        "part.vote_hint": "Stem med knappene eller {p}vote VALG.",
        "part.votes_so_far": "Stemmer så langt: {count}",
        "part.closes_at": "Avstemningen lukkes kl. {time}.",
        "part.closed": "Avstemningen er lukket.",
        "part.reflection": "Refleksjon – ingen avstemning. Diskuter, og gå videre med {p}next.",
        "results.heading": "Resultat – {title}",
        "results.total": "Totalt {count} stemmer",
        "results.total_one": "Totalt 1 stemme",
        "results.points": "Til diskusjon",
        "results.refs_hint": "Lovhenvisninger: {p}refs",
        "results.next_hint": "Neste del: {p}next",
        "results.last_hint": "Dette var siste del. Avslutt med {p}next.",
        "results.auto_next": "Neste del kommer kl. {time}.",
        "results.others": "Slik svarte andre ({count})",
        "results.others_hidden": "Hvordan andre svarte vises når minst {min} andre har svart (nå {count}).",
        "results.your_answer": "Ditt svar: {option}",
        "results.group": "Denne gruppen",
        "results.overall": "Alle grupper og selvtester",
        "results.overall_hidden": "Samlet fordeling vises når minst {min} har svart.",
        "results.none": "Ingen runder er spilt i denne chatten ennå.",
        "summary.heading": "Oppsummering – {title}",
        "summary.done": "Runden er ferdig. Takk for at dere deltok!",
        "summary.selftest_done": "Selvtesten er ferdig. Takk!",
        "summary.no_vote": "ingen avstemning",
        "summary.you": "du: {option}",
        "refs.heading": "Lovhenvisninger – {title}",
        "refs.none": "Denne delen har ingen lovhenvisninger.",
        "vote.recorded": "Stemme registrert: {option}",
        "vote.changed": "Du endret stemmen til {option}",
        "vote.same": "Du har allerede stemt {option}",
        "vote.withdrawn": "Stemmen din er trukket",
        "next.button": "Neste del ➡️",
        "next.finish_button": "Se oppsummering ➡️",
        "refuse.not_controller": "Beklager, bare administratorer og kursledere kan gjøre det her.",
        "refuse.no_round": "Ingen runde pågår her. Start en med {p}start ID.",
        "refuse.round_running": "Det pågår allerede en runde her ({case}). Avslutt den med {p}stop først.",
        "refuse.unknown_case": "Jeg finner ikke dilemmaet «{case}». Se {p}cases.",
        "refuse.usage_start": "Skriv {p}start ID, for eksempel {p}start jubileum. Se {p}cases.",
        "refuse.voting_closed": "Avstemningen er lukket.",
        "refuse.no_options": "Denne delen har ingen avstemning.",
        "refuse.unknown_option": "Ukjent valg «{choice}». Velg en av: {options}.",
        "refuse.stale": "Denne knappen gjelder ikke lenger.",
        "refuse.not_open": "Avstemningen er ikke åpen.",
        "refuse.selftest_private": "Selvtesten kjøres i privat chat med meg.",
        "refuse.not_your_selftest": "Dette er ikke din selvtest.",
        "refuse.answer_first": "Svar på denne delen først, eller bruk {p}stop.",
        "refuse.too_fast": "Rolig nå – du sender for mange forespørsler. Vent litt og prøv igjen.",
        "refuse.bad_language": "Velg nb eller en, for eksempel {p}lang en.",
        "refuse.bad_timezone": "Ukjent tidssone «{zone}». Eksempel: {p}tz Europe/Oslo.",
        "refuse.bad_time": "Jeg forstår ikke tidspunktet «{text}». Eksempel: {example}",
        "refuse.until_before": "Slutten må komme etter starten. Eksempel: {p}schedule jubileum 2026-11-25 09:00 until 2026-11-26 08:30",
        "refuse.unknown_schedule": "Fant ingen planlagt runde nr. {number}. Se {p}schedules.",
        "refuse.too_many_schedules": "Denne chatten har allerede {max} planlagte runder.",
        "refuse.unknown_command": "Ukjent kommando. Se {p}help.",
        "refuse.schedule_in_group": "Planlegging gjøres i gruppen som skal få dilemmaet, ikke i privat chat.",
        "selftest.pick": "Velg et dilemma å teste deg selv på:",
        "selftest.line": "{p}selftest {id} – {title}",
        "selftest.intro": "Selvtest: du svarer i ditt eget tempo. Etter hvert svar ser du diskusjonspunktene og hvordan andre svarte.",
        "forget.done": "Slettet {count} stemmer fra deg.",
        "forget.done_one": "Slettet 1 stemme fra deg.",
        "forget.none": "Jeg har ingen stemmer fra deg.",
        "privacy": (
            "Hva lagres?\n"
            "• Stemmene dine, knyttet til et pseudonym (en nøkkelbasert hash av bruker-ID-en din), aldri navnet "
            "eller ID-en din. Pseudonymet kan ikke regnes tilbake uten installasjonens hemmelige nøkkel.\n"
            "• Hvilke dilemmaer som er spilt i hvilke chatter, og når. Private chatter lagres også bare som pseudonym.\n"
            "• Stemmene er anonyme i gruppen: bare summer vises, og samlet fordeling vises først når minst 5 har svart.\n"
            "• Eksport for kursledere inneholder bare summer, aldri bruker-ID-er.\n"
            "• {p}forget sletter alle stemmene dine overalt; resultatene regnes da ut på nytt uten dem."
        ),
        "lang.set": "Språket i denne chatten er nå norsk bokmål.",
        "tz.set": "Tidssonen i denne chatten er nå {zone}.",
        "schedule.saved": "Planlagt nr. {number}: «{title}» åpner {opens}{until}.",
        "schedule.until": ", avstemningen lukkes {closes}",
        "schedule.list_header": "Planlagte runder",
        "schedule.line": "{number}. {case} – åpner {opens}{until}",
        "schedule.none": "Ingen planlagte runder.",
        "schedule.cancelled": "Planlagt runde nr. {number} er fjernet.",
        "schedule.late": "(Jeg var frakoblet da dette skulle skje kl. {time}, derfor kommer det nå.)",
        "schedule.missed": "Den planlagte runden «{title}» skulle vært åpen fra {opens} til {closes}, men jeg var frakoblet. Jeg åpner den nå uten tidsfrist.",
        "schedule.busy": "Den planlagte runden «{title}» kunne ikke starte fordi en annen runde pågår. Start den selv med {p}start {case}.",
        "schedule.reminder": "Påminnelse: «{title}» – {count} har stemt så langt. Avstemningen lukkes {closes}.",
        "schedule.deadline": "Fristen er ute – her er resultatet.",
        "option.choices": "Valg: {choices}",
        "part.react_hint": "Stem i avstemningen under, ved å reagere med et av valgene, eller med {p}vote VALG.",
        "privacy.reactions": (
            "• I Matrix er en reaksjon, og like så et svar i en avstemning, synlig for alle i rommet: de andre kan se "
            "hvem som reagerte eller svarte hva (også i krypterte rom, der de er medlemmer). "
            "Boten viser bare summer, men vil du stemme helt anonymt, bruk {p}selftest i en direktemelding."
        ),
        "matrix.undecryptable": (
            "Jeg kunne ikke lese den krypterte meldingen din (jeg mangler nøkkelen til den). "
            "Send den gjerne på nytt; slår du på «bare verifiserte enheter», må enheten min være kryss-signert."
        ),
    },
    "en": {
        "help": (
            "Dilemmabot – ethics dilemmas for local councillors (KS Folkevalgtprogram).\n"
            "{p}cases – list the dilemmas\n"
            "{p}start ID [timer 3m] – start a dilemma in this chat\n"
            "{p}vote OPTION – vote (or press the buttons)\n"
            "{p}close – close the vote and show the result and discussion points\n"
            "{p}next – next part\n"
            "{p}stop – end the round\n"
            "{p}results – results of the latest round\n"
            "{p}refs – legal references for the part\n"
            "{p}selftest [ID] – test yourself in a private chat\n"
            "{p}schedule ID WHEN [until WHEN] – schedule a dilemma before a session\n"
            "{p}schedules, {p}unschedule N – list or remove scheduled rounds\n"
            "{p}lang nb|en, {p}tz ZONE – language and time zone of the chat\n"
            "{p}forget – delete your votes\n"
            "{p}privacy – what is stored"
        ),
        "help.anonymous": "Votes are anonymous: nobody sees who voted what.",
        "help.reactions": (
            "The bot only shows totals, but here a vote is a reaction or a poll answer, "
            "and everyone in the room can see either."
        ),
        "cases.header": "Dilemmas",
        "cases.line": "{id} – {title} ({parts} parts)",
        "cases.line_one": "{id} – {title} (1 part)",
        "cases.footer": "Start with {p}start ID, or {p}selftest ID in a private chat.",
        "cases.none": "No dilemmas are loaded.",
        "round.started": "New dilemma",
        "round.source": "Source: {source}",
        "round.parts": "{parts} parts. Votes are anonymous.",
        "round.timer": "Each part closes automatically after {minutes} min.",
        "part.heading": "Part {n} of {total}",
        "part.vote_hint": "Vote with the buttons or {p}vote OPTION.",
        "part.votes_so_far": "Votes so far: {count}",
        "part.closes_at": "Voting closes at {time}.",
        "part.closed": "Voting is closed.",
        "part.reflection": "Reflection – no vote. Discuss, then go on with {p}next.",
        "results.heading": "Result – {title}",
        "results.total": "{count} votes in all",
        "results.total_one": "1 vote in all",
        "results.points": "For discussion",
        "results.refs_hint": "Legal references: {p}refs",
        "results.next_hint": "Next part: {p}next",
        "results.last_hint": "That was the last part. Finish with {p}next.",
        "results.auto_next": "The next part comes at {time}.",
        "results.others": "How others answered ({count})",
        "results.others_hidden": "How others answered is shown once at least {min} others have answered (now {count}).",
        "results.your_answer": "Your answer: {option}",
        "results.group": "This group",
        "results.overall": "All groups and self-tests",
        "results.overall_hidden": "The overall split is shown once at least {min} have answered.",
        "results.none": "No round has been played in this chat yet.",
        "summary.heading": "Summary – {title}",
        "summary.done": "The round is finished. Thank you for taking part!",
        "summary.selftest_done": "Your self-test is finished. Thank you!",
        "summary.no_vote": "no vote",
        "summary.you": "you: {option}",
        "refs.heading": "Legal references – {title}",
        "refs.none": "This part has no legal references.",
        "vote.recorded": "Vote recorded: {option}",
        "vote.changed": "You changed your vote to {option}",
        "vote.same": "You already voted {option}",
        "vote.withdrawn": "Your vote was withdrawn",
        "next.button": "Next part ➡️",
        "next.finish_button": "See summary ➡️",
        "refuse.not_controller": "Sorry, only admins and trainers can do that here.",
        "refuse.no_round": "No round is running here. Start one with {p}start ID.",
        "refuse.round_running": "A round is already running here ({case}). End it with {p}stop first.",
        "refuse.unknown_case": "I can't find the dilemma “{case}”. See {p}cases.",
        "refuse.usage_start": "Type {p}start ID, for example {p}start jubileum. See {p}cases.",
        "refuse.voting_closed": "Voting is closed.",
        "refuse.no_options": "This part has no vote.",
        "refuse.unknown_option": "Unknown option “{choice}”. Pick one of: {options}.",
        "refuse.stale": "This button is no longer valid.",
        "refuse.not_open": "Voting is not open.",
        "refuse.selftest_private": "The self-test runs in a private chat with me.",
        "refuse.not_your_selftest": "This is not your self-test.",
        "refuse.answer_first": "Answer this part first, or use {p}stop.",
        "refuse.too_fast": "Easy now – too many requests from you. Wait a moment and try again.",
        "refuse.bad_language": "Choose nb or en, for example {p}lang nb.",
        "refuse.bad_timezone": "Unknown time zone “{zone}”. Example: {p}tz Europe/Oslo.",
        "refuse.bad_time": "I don't understand the time “{text}”. Example: {example}",
        "refuse.until_before": "The end must come after the start. Example: {p}schedule jubileum 2026-11-25 09:00 until 2026-11-26 08:30",
        "refuse.unknown_schedule": "No scheduled round number {number}. See {p}schedules.",
        "refuse.too_many_schedules": "This chat already has {max} scheduled rounds.",
        "refuse.unknown_command": "Unknown command. See {p}help.",
        "refuse.schedule_in_group": "Schedule in the group that is to get the dilemma, not in a private chat.",
        "selftest.pick": "Pick a dilemma to test yourself on:",
        "selftest.line": "{p}selftest {id} – {title}",
        "selftest.intro": "Self-test: answer at your own pace. After each answer you see the discussion points and how others answered.",
        "forget.done": "Deleted {count} of your votes.",
        "forget.done_one": "Deleted 1 of your votes.",
        "forget.none": "I have no votes from you.",
        "privacy": (
            "What is stored?\n"
            "• Your votes, linked to a pseudonym (a keyed hash of your user id), never your name or id. "
            "The pseudonym cannot be traced back without this installation's secret key.\n"
            "• Which dilemmas were played in which chats, and when. Private chats are stored as pseudonyms too.\n"
            "• Votes are anonymous in the group: only totals are shown, and the overall split only once at least 5 have answered.\n"
            "• Exports for trainers hold totals only, never user ids.\n"
            "• {p}forget deletes all your votes everywhere; results are then recomputed without them."
        ),
        "lang.set": "The language of this chat is now English.",
        "tz.set": "The time zone of this chat is now {zone}.",
        "schedule.saved": "Scheduled no. {number}: “{title}” opens {opens}{until}.",
        "schedule.until": ", voting closes {closes}",
        "schedule.list_header": "Scheduled rounds",
        "schedule.line": "{number}. {case} – opens {opens}{until}",
        "schedule.none": "No scheduled rounds.",
        "schedule.cancelled": "Scheduled round no. {number} was removed.",
        "schedule.late": "(I was offline when this was due at {time}, so it comes now.)",
        "schedule.missed": "The scheduled round “{title}” should have been open from {opens} to {closes}, but I was offline. I am opening it now without a deadline.",
        "schedule.busy": "The scheduled round “{title}” could not start because another round is running. Start it yourself with {p}start {case}.",
        "schedule.reminder": "Reminder: “{title}” – {count} have voted so far. Voting closes {closes}.",
        "schedule.deadline": "Time is up – here is the result.",
        "option.choices": "Options: {choices}",
        "part.react_hint": "Vote in the poll below, by reacting with one of the options, or with {p}vote OPTION.",
        "privacy.reactions": (
            "• In Matrix a reaction, and a poll answer just as much, is visible to everyone in the room: the others can "
            "see who reacted or answered what (in encrypted rooms too, where they are members). "
            "The bot only shows totals, but to vote fully anonymously, use {p}selftest in a direct message."
        ),
        "matrix.undecryptable": (
            "I could not read your encrypted message (I am missing its key). "
            "Please send it again; if you share keys with verified devices only, my device must be cross-signed."
        ),
    },
}


def t(lang: str, key: str, **params: object) -> str:
    """The text ``key`` in ``lang`` (bokmål if unknown), formatted with ``params``."""
    texts = TEXTS.get(lang, TEXTS["nb"])
    params.setdefault("p", "/")
    return texts[key].format(**params)
