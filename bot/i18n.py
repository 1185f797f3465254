"""Every text the bot says, in bokmål (``nb``, the default), nynorsk (``nn``) and English (``en``).

Keys are the same in every language and so are the ``{placeholders}``; a
test checks it.  Command names in texts use ``{p}`` for the adapter's
command prefix (``/`` in Telegram and the console, ``!`` in Matrix).
"""

from __future__ import annotations

LANGUAGES = ("nb", "nn", "en")

TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "help.intro": "Dilemmabot – etikkdilemmaer for folkevalgte (KS Folkevalgtprogram).",
        "help.trainers": "For kursledere og administratorer:",
        "help.selftest": "Test deg selv i en privat chat med meg: {p}selftest.",
        "help.anonymous": "Stemmene er anonyme: ingen ser hvem som stemte hva.",
        "help.add_to_group": "Legg meg til i en gruppe (som administrator): {link}",
        "help.votes_visible": "Boten viser bare summer, men her ser alle i rommet hvem som stemte hva (reaksjoner og avstemningssvar er synlige).",
        "cases.header": "Dilemmaer",
        "cases.line": "{id} – {title} ({parts} deler)",
        "cases.line_one": "{id} – {title} (1 del)",
        "cases.footer": "Start med {p}start ID, eller {p}selftest ID i privat chat.",
        "cases.none": "Ingen dilemmaer er lastet.",
        "round.started": "Nytt dilemma",
        "round.source": "Kilde: {source}",
        "round.parts": "{parts} deler.",
        "round.timer": "Hver del lukkes automatisk etter {minutes} min.",
        "part.heading": "Del {n} av {total}",
        "part.vote_hint": "Stem med knappene eller {p}vote VALG.",
        "part.button_hint": "Stem med knappene under. Ingen i gruppen ser hva du stemmer.",
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
        "results.others": "Slik har alle svart så langt ({count})",
        "results.others_hidden": "Hvordan alle har svart, vises når minst {min} har svart (nå {count}).",
        "results.your_answer": "Ditt svar: {option}",
        "results.group": "Denne gruppen",
        "results.overall": "Alle grupper og selvtester",
        "results.overall_hidden": "Samlet fordeling vises når minst {min} har svart.",
        "results.none": "Ingen runder er spilt i denne chatten ennå.",
        "summary.heading": "Oppsummering – {title}",
        "summary.done": "Runden er ferdig. Takk for at dere deltok!",
        "summary.selftest_done": "Selvtesten er ferdig. Takk!",
        "summary.no_vote": "ingen avstemning",
        "summary.open": "avstemningen pågår ({count} har stemt)",
        "summary.in_progress": "Runden pågår: del {n} av {total}.",
        "summary.you": "du: {option}",
        "refs.heading": "Lovhenvisninger – {title}",
        "refs.none": "Denne delen har ingen lovhenvisninger.",
        "notes.heading": "Kursledernotater – {title}",
        "notes.none": "Denne delen har ingen kursledernotater.",
        "reply.open_private": "Svaret er bare for deg. Start en privat chat med meg først, og prøv igjen: {link}",
        "vote.recorded": "Stemme registrert: {option}",
        "vote.changed": "Du endret stemmen til {option}",
        "vote.same": "Du har allerede stemt {option}",
        "vote.withdrawn": "Stemmen din er trukket",
        "fault.vote_not_saved": "Stemmen din ble ikke lagret: boten fikk ikke skrevet den. Prøv igjen om litt.",
        "fault.not_saved": "Det ble ikke lagret: boten fikk ikke skrevet det. Prøv igjen om litt.",
        "next.button": "Neste del ➡️",
        "next.finish_button": "Se oppsummering ➡️",
        "refuse.not_controller": "Beklager, bare administratorer og kursledere kan gjøre det her.",
        "refuse.no_round": "Ingen runde pågår her. Start en med {p}start ID.",
        "refuse.round_running": "Det pågår allerede en runde her ({case}). Avslutt den med {p}stop først.",
        "refuse.unknown_case": "Jeg finner ikke dilemmaet «{case}». Se {p}cases.",
        "refuse.usage": "Bruk: {usage}. Eksempel: {example}",
        "refuse.private_only": "Dette gjør du i en privat chat med meg: send {p}{name} der.",
        "refuse.group_only": "{p}{name} brukes i en gruppe, ikke i privat chat.",
        "refuse.typed_vote": "Stem med knappene under delen: da ser ingen i gruppen hva du stemte.",
        "refuse.voting_closed": "Avstemningen er lukket.",
        "refuse.no_options": "Denne delen har ingen avstemning.",
        "refuse.unknown_option": "Ukjent valg «{choice}». Velg en av: {options}.",
        "refuse.stale": "Denne knappen gjelder ikke lenger.",
        "refuse.not_open": "Avstemningen er ikke åpen.",
                "refuse.not_your_selftest": "Dette er ikke din selvtest.",
        "refuse.answer_first": "Svar på denne delen først, eller bruk {p}stop.",
        "refuse.too_fast": "Rolig nå – du sender for mange forespørsler. Vent litt og prøv igjen.",
        "refuse.bad_language": "Velg et av språkene {languages}, for eksempel {p}lang en.",
        "refuse.bad_timezone": "Ukjent tidssone «{zone}». Eksempel: {p}tz Europe/Oslo.",
        "refuse.bad_time": "Jeg forstår ikke tidspunktet «{text}». Eksempel: {example}",
        "refuse.until_before": "Slutten må komme etter starten. Eksempel: {p}schedule jubileum 2026-11-25 09:00 until 2026-11-26 08:30",
        "refuse.unknown_schedule": "Fant ingen planlagt runde nr. {number}. Se {p}schedules.",
        "refuse.too_many_schedules": "Denne chatten har allerede {max} planlagte runder.",
        "refuse.unknown_command": "Ukjent kommando. Se {p}help.",
                "selftest.pick": "Velg et dilemma å teste deg selv på:",
        "selftest.line": "{p}selftest {id} – {title}",
        "selftest.intro": "Selvtest: du svarer i ditt eget tempo. Etter hvert svar ser du diskusjonspunktene og hvordan andre svarte.",
        "forget.done": "Slettet: alle stemmene og selvtestene dine, overalt. Summer som en gruppe allerede har sett, står.",
        "privacy": (
            "Hva lagres?\n"
            "• Stemmene dine, knyttet til et pseudonym (en nøkkelbasert hash av bruker-ID-en din), aldri navnet "
            "eller ID-en din. Pseudonymet kan ikke regnes tilbake uten installasjonens hemmelige nøkkel.\n"
            "• I gruppen er stemmene anonyme: mens avstemningen pågår, vises bare hvor mange som har stemt; "
            "når den lukkes, vises fordelingen – aldri hvem som stemte hva.\n"
            "• Samlet fordeling (alle grupper og selvtester) teller bare avsluttede deler og ett svar per person. "
            "Den oppdateres først når minst 5 nye har svart, og vises ikke under 5 svar.\n"
            "• Eksport for kursledere har bare gruppenes summer og den samlede fordelingen, aldri enkeltsvar fra "
            "selvtester eller bruker-ID-er.\n"
            "• {p}forget i privat chat sletter alle stemmene og selvtestene dine overalt. Summer en gruppe "
            "allerede har sett, står."
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
        "part.react_hint": "Stem i avstemningen under, eller ved å reagere med et av valgene. Alle i rommet ser svarene.",
        "privacy.votes_visible": (
            "• Her er en stemme (et svar i avstemningen, eller en reaksjon) synlig for alle i rommet, også i krypterte "
            "rom: de andre kan se hvem som stemte hva. "
            "Boten viser bare summer, men vil du stemme helt anonymt, bruk {p}selftest i en direktemelding."
        ),
        "matrix.undecryptable": (
            "Jeg kunne ikke lese den krypterte meldingen din (jeg mangler nøkkelen til den). "
            "Send den gjerne på nytt; slår du på «bare verifiserte enheter», må enheten min være kryss-signert."
        ),
    },
    "nn": {
        "help.intro": "Dilemmabot – etikkdilemma for folkevalde (KS Folkevalgtprogram).",
        "help.trainers": "For kursleiarar og administratorar:",
        "help.selftest": "Test deg sjølv i ein privat chat med meg: {p}selftest.",
        "help.anonymous": "Røystene er anonyme: ingen ser kven som røysta kva.",
        "help.add_to_group": "Legg meg til i ei gruppe (som administrator): {link}",
        "help.votes_visible": "Boten viser berre summar, men her ser alle i rommet kven som røysta kva (reaksjonar og svar på avstemmingar er synlege).",
        "cases.header": "Dilemma",
        "cases.line": "{id} – {title} ({parts} delar)",
        "cases.line_one": "{id} – {title} (1 del)",
        "cases.footer": "Start med {p}start ID, eller med {p}selftest ID i ein privat chat.",
        "cases.none": "Ingen dilemma er lasta inn.",
        "round.started": "Nytt dilemma",
        "round.source": "Kjelde: {source}",
        "round.parts": "{parts} delar.",
        "round.timer": "Kvar del blir lukka automatisk etter {minutes} min.",
        "part.heading": "Del {n} av {total}",
        "part.vote_hint": "Røyst med knappane eller {p}vote VAL.",
        "part.button_hint": "Røyst med knappane under. Ingen i gruppa ser kva du røystar.",
        "part.votes_so_far": "Røyster til no: {count}",
        "part.closes_at": "Avstemminga blir lukka kl. {time}.",
        "part.closed": "Avstemminga er lukka.",
        "part.reflection": "Refleksjon – inga avstemming. Diskuter, og gå vidare med {p}next.",
        "results.heading": "Resultat – {title}",
        "results.total": "I alt {count} røyster",
        "results.total_one": "I alt 1 røyst",
        "results.points": "Til drøfting",
        "results.refs_hint": "Lovtilvisingar: {p}refs",
        "results.next_hint": "Neste del: {p}next",
        "results.last_hint": "Det var den siste delen. Avslutt med {p}next.",
        "results.auto_next": "Neste del kjem kl. {time}.",
        "results.others": "Slik har alle svara til no ({count})",
        "results.others_hidden": "Korleis alle har svara, blir vist når minst {min} har svara (no {count}).",
        "results.your_answer": "Svaret ditt: {option}",
        "results.group": "Denne gruppa",
        "results.overall": "Alle grupper og sjølvtestar",
        "results.overall_hidden": "Den samla fordelinga blir vist når minst {min} har svara.",
        "results.none": "Det er ikkje spelt nokon runde i denne chatten enno.",
        "summary.heading": "Samandrag – {title}",
        "summary.done": "Runden er ferdig. Takk for at de var med!",
        "summary.selftest_done": "Sjølvtesten er ferdig. Takk!",
        "summary.no_vote": "inga avstemming",
        "summary.open": "avstemminga er i gang ({count} har røysta)",
        "summary.in_progress": "Runden er i gang: del {n} av {total}.",
        "summary.you": "du: {option}",
        "refs.heading": "Lovtilvisingar – {title}",
        "refs.none": "Denne delen har ingen lovtilvisingar.",
        "notes.heading": "Kursleiarnotat – {title}",
        "notes.none": "Denne delen har ingen kursleiarnotat.",
        "reply.open_private": "Svaret er berre for deg. Start ein privat chat med meg først, og prøv igjen: {link}",
        "vote.recorded": "Røysta di er registrert: {option}",
        "vote.changed": "Du endra røysta di til {option}",
        "vote.same": "Du har allereie røysta {option}",
        "vote.withdrawn": "Røysta di er trekt tilbake",
        "fault.vote_not_saved": "Røysta di vart ikkje lagra, fordi boten ikkje fekk skrive til databasen. Prøv igjen om litt.",
        "fault.not_saved": "Det vart ikkje lagra, fordi boten ikkje fekk skrive til databasen. Prøv igjen om litt.",
        "next.button": "Neste del ➡️",
        "next.finish_button": "Sjå samandraget ➡️",
        "refuse.not_controller": "Orsak, berre administratorar og kursleiarar kan gjere det her.",
        "refuse.no_round": "Det går ingen runde her no. Start ein med {p}start ID.",
        "refuse.round_running": "Det går alt ein runde her ({case}). Avslutt han med {p}stop først.",
        "refuse.unknown_case": "Eg finn ikkje dilemmaet «{case}». Sjå {p}cases.",
        "refuse.usage": "Bruk: {usage}. Døme: {example}",
        "refuse.private_only": "Dette gjer du i ein privat chat med meg: send {p}{name} der.",
        "refuse.group_only": "{p}{name} blir brukt i ei gruppe, ikkje i ein privat chat.",
        "refuse.typed_vote": "Røyst med knappane under delen: då ser ingen i gruppa kva du røysta.",
        "refuse.voting_closed": "Avstemminga er lukka.",
        "refuse.no_options": "Denne delen har inga avstemming.",
        "refuse.unknown_option": "Ukjent val «{choice}». Vel eitt av desse: {options}.",
        "refuse.stale": "Denne knappen gjeld ikkje lenger.",
        "refuse.not_open": "Avstemminga er ikkje open.",
        "refuse.not_your_selftest": "Dette er ikkje sjølvtesten din.",
        "refuse.answer_first": "Svar på denne delen først, eller avslutt med {p}stop.",
        "refuse.too_fast": "Roleg no – du sender for mange førespurnader. Vent litt og prøv igjen.",
        "refuse.bad_language": "Vel eitt av språka {languages}, til dømes {p}lang nb.",
        "refuse.bad_timezone": "Ukjend tidssone «{zone}». Døme: {p}tz Europe/Oslo.",
        "refuse.bad_time": "Eg forstår ikkje tidspunktet «{text}». Døme: {example}",
        "refuse.until_before": "Slutten må kome etter starten. Døme: {p}schedule jubileum 2026-11-25 09:00 until 2026-11-26 08:30",
        "refuse.unknown_schedule": "Fann ingen planlagd runde nr. {number}. Sjå {p}schedules.",
        "refuse.too_many_schedules": "Denne chatten har allereie {max} planlagde rundar.",
        "refuse.unknown_command": "Ukjend kommando. Sjå {p}help.",
        "selftest.pick": "Vel eit dilemma du vil teste deg sjølv på:",
        "selftest.line": "{p}selftest {id} – {title}",
        "selftest.intro": "Sjølvtest: du svarar i ditt eige tempo. Etter kvart svar ser du diskusjonspunkta og korleis andre svara.",
        "forget.done": "Sletta: alle røystene og sjølvtestane dine, overalt. Summar som ei gruppe alt har sett, står att.",
        "privacy": (
            "Kva blir lagra?\n"
            "• Røystene dine, knytte til eit pseudonym (ein nøkkelbasert hash av brukar-ID-en din), aldri namnet "
            "eller ID-en din. Pseudonymet kan ikkje reknast tilbake utan den hemmelege nøkkelen til installasjonen.\n"
            "• I gruppa er røystene anonyme: medan avstemminga er i gang, blir berre talet på røyster vist; "
            "når ho blir lukka, blir fordelinga vist – aldri kven som røysta kva.\n"
            "• Den samla fordelinga (alle grupper og sjølvtestar) tel berre avslutta delar og eitt svar per person. "
            "Ho blir ikkje oppdatert før minst 5 nye har svara, og blir ikkje vist under 5 svar.\n"
            "• Eksporten for kursleiarar har berre summane for gruppene og den samla fordelinga, aldri einskilde "
            "svar frå sjølvtestar eller brukar-ID-ar.\n"
            "• {p}forget i ein privat chat slettar alle røystene og sjølvtestane dine overalt. Summar som ei gruppe "
            "alt har sett, står att."
        ),
        "lang.set": "Språket i denne chatten er no nynorsk.",
        "tz.set": "Tidssona i denne chatten er no {zone}.",
        "schedule.saved": "Planlagd nr. {number}: «{title}» opnar {opens}{until}.",
        "schedule.until": ", avstemminga blir lukka {closes}",
        "schedule.list_header": "Planlagde rundar",
        "schedule.line": "{number}. {case} – opnar {opens}{until}",
        "schedule.none": "Ingen planlagde rundar.",
        "schedule.cancelled": "Planlagd runde nr. {number} er fjerna.",
        "schedule.late": "(Eg var fråkopla då dette skulle skje kl. {time}, difor kjem det no.)",
        "schedule.missed": "Den planlagde runden «{title}» skulle ha vore open frå {opens} til {closes}, men eg var fråkopla. Eg opnar han no utan tidsfrist.",
        "schedule.busy": "Den planlagde runden «{title}» kunne ikkje starte fordi ein annan runde er i gang. Start han sjølv med {p}start {case}.",
        "schedule.reminder": "Påminning: «{title}» – {count} har røysta til no. Avstemminga blir lukka {closes}.",
        "schedule.deadline": "Fristen har gått ut – her er resultatet.",
        "option.choices": "Val: {choices}",
        "part.react_hint": "Røyst i avstemminga under, eller ved å reagere med eitt av vala. Alle i rommet ser svara.",
        "privacy.votes_visible": (
            "• Her er ei røyst (eit svar i avstemminga, eller ein reaksjon) synleg for alle i rommet, også i krypterte "
            "rom: dei andre kan sjå kven som røysta kva. "
            "Boten viser berre summar, men vil du røyste heilt anonymt, bruk {p}selftest i ei direktemelding."
        ),
        "matrix.undecryptable": (
            "Eg kunne ikkje lese den krypterte meldinga di (eg manglar nøkkelen til henne). "
            "Send henne gjerne på nytt; slår du på «berre verifiserte einingar», må eininga mi vere kryss-signert."
        ),
    },
    "en": {
        "help.intro": "Dilemmabot – ethics dilemmas for local councillors (KS Folkevalgtprogram).",
        "help.trainers": "For trainers and admins:",
        "help.selftest": "Test yourself in a private chat with me: {p}selftest.",
        "help.anonymous": "Votes are anonymous: nobody sees who voted what.",
        "help.add_to_group": "Add me to a group (as an admin): {link}",
        "help.votes_visible": "The bot only shows totals, but here everyone in the room can see who voted what (reactions and poll answers are visible).",
        "cases.header": "Dilemmas",
        "cases.line": "{id} – {title} ({parts} parts)",
        "cases.line_one": "{id} – {title} (1 part)",
        "cases.footer": "Start with {p}start ID, or {p}selftest ID in a private chat.",
        "cases.none": "No dilemmas are loaded.",
        "round.started": "New dilemma",
        "round.source": "Source: {source}",
        "round.parts": "{parts} parts.",
        "round.timer": "Each part closes automatically after {minutes} min.",
        "part.heading": "Part {n} of {total}",
        "part.vote_hint": "Vote with the buttons or {p}vote OPTION.",
        "part.button_hint": "Vote with the buttons below. Nobody in the group sees what you vote.",
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
        "results.others": "How everyone has answered so far ({count})",
        "results.others_hidden": "How everyone answered is shown once at least {min} have answered (now {count}).",
        "results.your_answer": "Your answer: {option}",
        "results.group": "This group",
        "results.overall": "All groups and self-tests",
        "results.overall_hidden": "The overall split is shown once at least {min} have answered.",
        "results.none": "No round has been played in this chat yet.",
        "summary.heading": "Summary – {title}",
        "summary.done": "The round is finished. Thank you for taking part!",
        "summary.selftest_done": "Your self-test is finished. Thank you!",
        "summary.no_vote": "no vote",
        "summary.open": "voting in progress ({count} have voted)",
        "summary.in_progress": "The round is in progress: part {n} of {total}.",
        "summary.you": "you: {option}",
        "refs.heading": "Legal references – {title}",
        "refs.none": "This part has no legal references.",
        "notes.heading": "Trainer notes – {title}",
        "notes.none": "This part has no trainer notes.",
        "reply.open_private": "The answer is for you alone. Start a private chat with me first, then try again: {link}",
        "vote.recorded": "Vote recorded: {option}",
        "vote.changed": "You changed your vote to {option}",
        "vote.same": "You already voted {option}",
        "vote.withdrawn": "Your vote was withdrawn",
        "fault.vote_not_saved": "Your vote was not saved: the bot could not write it. Please try again in a moment.",
        "fault.not_saved": "That was not saved: the bot could not write it. Please try again in a moment.",
        "next.button": "Next part ➡️",
        "next.finish_button": "See summary ➡️",
        "refuse.not_controller": "Sorry, only admins and trainers can do that here.",
        "refuse.no_round": "No round is running here. Start one with {p}start ID.",
        "refuse.round_running": "A round is already running here ({case}). End it with {p}stop first.",
        "refuse.unknown_case": "I can't find the dilemma “{case}”. See {p}cases.",
        "refuse.usage": "Usage: {usage}. Example: {example}",
        "refuse.private_only": "Do this in a private chat with me: send {p}{name} there.",
        "refuse.group_only": "{p}{name} is for groups, not private chats.",
        "refuse.typed_vote": "Vote with the buttons under the part: then nobody in the group sees what you voted.",
        "refuse.voting_closed": "Voting is closed.",
        "refuse.no_options": "This part has no vote.",
        "refuse.unknown_option": "Unknown option “{choice}”. Pick one of: {options}.",
        "refuse.stale": "This button is no longer valid.",
        "refuse.not_open": "Voting is not open.",
                "refuse.not_your_selftest": "This is not your self-test.",
        "refuse.answer_first": "Answer this part first, or use {p}stop.",
        "refuse.too_fast": "Easy now – too many requests from you. Wait a moment and try again.",
        "refuse.bad_language": "Choose one of the languages {languages}, for example {p}lang nb.",
        "refuse.bad_timezone": "Unknown time zone “{zone}”. Example: {p}tz Europe/Oslo.",
        "refuse.bad_time": "I don't understand the time “{text}”. Example: {example}",
        "refuse.until_before": "The end must come after the start. Example: {p}schedule jubileum 2026-11-25 09:00 until 2026-11-26 08:30",
        "refuse.unknown_schedule": "No scheduled round number {number}. See {p}schedules.",
        "refuse.too_many_schedules": "This chat already has {max} scheduled rounds.",
        "refuse.unknown_command": "Unknown command. See {p}help.",
                "selftest.pick": "Pick a dilemma to test yourself on:",
        "selftest.line": "{p}selftest {id} – {title}",
        "selftest.intro": "Self-test: answer at your own pace. After each answer you see the discussion points and how others answered.",
        "forget.done": "Deleted: all your votes and self-tests, everywhere. Totals a group has already seen remain.",
        "privacy": (
            "What is stored?\n"
            "• Your votes, linked to a pseudonym (a keyed hash of your user id), never your name or id. "
            "The pseudonym cannot be traced back without this installation's secret key.\n"
            "• Votes are anonymous in the group: while voting is open only the number of votes is shown; "
            "when it closes, the split – never who voted what.\n"
            "• The overall split (all groups and self-tests) counts closed parts only, one answer per person. "
            "It is updated only once at least 5 more have answered, and not shown below 5 answers.\n"
            "• Exports for trainers hold the groups' totals and the overall split only, never single self-test "
            "answers or user ids.\n"
            "• {p}forget in a private chat deletes all your votes and self-tests everywhere. Totals a group has "
            "already seen remain."
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
        "part.react_hint": "Vote in the poll below, or by reacting with one of the options. Everyone in the room sees the answers.",
        "privacy.votes_visible": (
            "• Here a vote (a poll answer, or a reaction) is visible to everyone in the room, in encrypted rooms too: "
            "the others can see who voted what. "
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
