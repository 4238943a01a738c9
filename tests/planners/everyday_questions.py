"""Questions as people ask a home robot or a video memory (Ego4D NLQ, M3-bench style), written for issue #30 item 1
from ordinary English, without looking at the simulator's wordings: relative and elapsed times ("two minutes ago", "a
minute and a half in", "at the 3-minute mark", "shortly after 1:30"), clock times as a video player shows them
("2:10" is two minutes ten seconds into a short recording), place nouns other than "where" ("which spot", "what part
of the house"), saying in many verbs ("describe", "ask about", "think of", "take on"), and the two-step questions
(the thing one person asked another for, the last thing someone put down, the thing someone spoke of at a time,
where it was then, who moved it last) in several shapes.

Each question comes with its expected parse: the intent (planners/exemplars.py) and the answerer's arguments, with
clock times as read at ``NOW`` (media seconds when the question is asked), written "hh:mm:ss". Order questions
expect the deed that must come first and the one that must come second for the answer to be yes.
"""

from __future__ import annotations

from planners.question_slots import Names

NAMES = Names(things=("red mug", "blue notebook", "grey keys", "green bottle"), people=("Carol", "Dan"),
              rooms=("kitchen", "living room", "bedroom", "office"), furniture=("sofa", "fridge", "bookshelf", "desk"))
NOW = 250.0  # the question is asked 4:10 into the recording

# (question, intent, the answerer's arguments)
PLACE_AT: list[tuple[str, str, tuple]] = [
    ("Where'd the red mug end up around 2:10?", "where_at", ("red mug", "00:02:10")),
    ("A minute and a half in, where was the blue notebook?", "where_at", ("blue notebook", "00:01:30")),
    ("Where were the grey keys at the 3-minute mark?", "where_at", ("grey keys", "00:03:00")),
    ("Two minutes ago, which room had the red mug?", "where_at", ("red mug", "00:02:10")),
    ("Shortly after 1:30, where could I have found the blue notebook?", "where_at", ("blue notebook", "00:01:30")),
    ("What room was the green bottle sitting in 90 seconds into the video?", "where_at", ("green bottle", "00:01:30")),
    ("In what part of the house was the blue notebook at 00:01:05?", "where_at", ("blue notebook", "00:01:05")),
    ("Tell me where the grey keys were at 1:05.", "where_at", ("grey keys", "00:01:05")),
    ("At 0:45, where had someone put the red mug?", "where_at", ("red mug", "00:00:45")),
    ("Where was the green bottle lying at about 2 minutes 30 seconds?", "where_at", ("green bottle", "00:02:30")),
    ("Which spot was the red mug in at 00:02:00?", "where_at", ("red mug", "00:02:00")),
    ("Whereabouts were the grey keys a minute ago?", "where_at", ("grey keys", "00:03:10")),
    ("At the two-minute mark, what room was the red mug in?", "where_at", ("red mug", "00:02:00")),
    ("Where had the blue notebook got to by 3:20?", "where_at", ("blue notebook", "00:03:20")),
    ("Where was the green bottle 30 seconds ago?", "where_at", ("green bottle", "00:03:40")),
    ("Location of the grey keys at 1:15, please.", "where_at", ("grey keys", "00:01:15")),
    ("Where was the red mug one minute into the recording?", "where_at", ("red mug", "00:01:00")),
    ("Which area of the flat was the blue notebook in at 2m 5s?", "where_at", ("blue notebook", "00:02:05")),
]

SAID: list[tuple[str, str, tuple]] = [
    ("What was Carol saying about the red mug?", "what_said", ("Carol", "red mug")),
    ("What did Dan have to say about the fridge?", "what_said", ("Dan", "fridge")),
    ("Carol said something about the grey keys, what was it?", "what_said", ("Carol", "grey keys")),
    ("What were Dan's exact words about the sofa?", "what_said", ("Dan", "sofa")),
    ("How did Carol describe the red mug?", "what_said", ("Carol", "red mug")),
    ("What comment did Dan make on the blue notebook?", "what_said", ("Dan", "blue notebook")),
    ("What did Dan go on about regarding the fridge?", "what_said", ("Dan", "fridge")),
    ("Carol was talking about the red mug earlier. What did she say?", "what_said", ("Carol", "red mug")),
    ("What did Dan think of the blue notebook?", "what_said", ("Dan", "blue notebook")),
    ("What was Carol's take on the grey keys?", "what_said", ("Carol", "grey keys")),
    ("What was it Dan said concerning the bookshelf?", "what_said", ("Dan", "bookshelf")),
    ("What did Dan ask about the red mug?", "what_said", ("Dan", "red mug")),
    ("What's the last thing Carol said on the subject of the blue notebook?", "what_said", ("Carol", "blue notebook")),
    ("Can you repeat Dan's words about the green bottle?", "what_said", ("Dan", "green bottle")),
    ("What did Carol reckon about the sofa?", "what_said", ("Carol", "sofa")),
    ("When Carol talked about the green bottle, what did she say?", "what_said", ("Carol", "green bottle")),
]

TWO_STEP: list[tuple[str, str, tuple]] = [
    # the thing one person asked another for: where it is now
    ("Carol asked Dan for something a while back. Where is it now?", "requested", ("Carol", "Dan")),
    ("Where did the thing Carol wanted from Dan end up?", "requested", ("Carol", "Dan")),
    ("Which room is the stuff Dan told Carol to grab in?", "requested", ("Dan", "Carol")),
    ("Where can I find whatever Carol asked Dan to bring over?", "requested", ("Carol", "Dan")),
    ("Dan wanted Carol to pass him something; which room is it in?", "requested", ("Dan", "Carol")),
    ("Which room is the item Carol was asked to fetch by Dan in now?", "requested", ("Dan", "Carol")),
    ("Where did whatever Dan went and got for Carol end up?", "requested", ("Carol", "Dan")),
    # the last thing a person put down: where it is now
    ("Dan put something down a moment ago. Where is it?", "last_put_object", ("Dan",)),
    ("Whatever Carol set down most recently, which room is that in?", "last_put_object", ("Carol",)),
    ("In which room is the item Dan last left somewhere?", "last_put_object", ("Dan",)),
    ("Where did the last thing Carol put away go?", "last_put_object", ("Carol",)),
    # the thing a person spoke of at a time: where it is now
    ("Carol brought something up at 1:20; where is it now?", "mentioned_where", ("Carol", "00:01:20")),
    ("Where's the object Dan was talking about at the one-minute mark?", "mentioned_where", ("Dan", "00:01:00")),
    ("The thing Carol asked about at 0:50, what room is it in now?", "mentioned_where", ("Carol", "00:00:50")),
    ("Dan mentioned something two minutes ago. Where is that thing now?", "mentioned_where", ("Dan", "00:02:10")),
    # where a thing was when a person spoke of it
    ("When Carol brought up the blue notebook at 1:20, which room was the notebook in?", "mentioned_room",
     ("blue notebook", "Carol", "00:01:20")),
    ("Where were the grey keys at the moment Dan mentioned them, around 2:05?", "mentioned_room",
     ("grey keys", "Dan", "00:02:05")),
    ("At 1:40 Carol spoke about the red mug. Which room was it in at that point?", "mentioned_room",
     ("red mug", "Carol", "00:01:40")),
    ("Dan asked about the green bottle at 00:02:30; in what room was the bottle then?", "mentioned_room",
     ("green bottle", "Dan", "00:02:30")),
    # who last moved the thing a person spoke of at a time
    ("Who was the last person to move the thing Carol asked about at 1:20?", "mentioned_mover", ("Carol", "00:01:20")),
    ("Dan talked about something at 2:05. Who moved it most recently?", "mentioned_mover", ("Dan", "00:02:05")),
    ("The object Carol mentioned at 0:50: who last shifted it?", "mentioned_mover", ("Carol", "00:00:50")),
    ("Who last relocated whatever Dan was on about at the 2-minute mark?", "mentioned_mover", ("Dan", "00:02:00")),
]

OTHERS: list[tuple[str, str, tuple]] = [
    # when
    ("What time did Dan walk into the bedroom for the first time?", "when_enter", ("first", "Dan", "bedroom")),
    ("At what point was the fridge first opened?", "when_open", ("first", "fridge")),
    ("How long ago did someone put the red mug down?", "when_put", ("last", "red mug")),
    ("When did you last catch sight of the blue notebook?", "seen_when", ("last", "blue notebook")),
    ("When's the first time you noticed the green bottle?", "first_seen", ("green bottle",)),
    ("Carol went into the kitchen, when was the last time?", "when_enter", ("last", "Carol", "kitchen")),
    # who
    ("Who was it that put the red mug on the desk last?", "who_put", ("red mug", "desk")),
    ("Which person last opened the fridge?", "who_opened", ("fridge",)),
    ("Who's the one who opened the bookshelf most recently?", "who_opened", ("bookshelf",)),
    ("Whose voice was it that said \"see you later\"?", "who_said", ("see you later",)),
    # how many
    ("How many times did Dan go into the kitchen?", "count_enter", ("Dan", "kitchen")),
    ("How often did someone open the fridge?", "count_open", ("fridge",)),
    ("Count how many times the red mug got picked up.", "count_pick", ("red mug",)),
    ("How many times did Carol speak?", "count_speak", ("Carol",)),
    ("What's the number of times Carol walked into the office?", "count_enter", ("Carol", "office")),
]


def D(kind: str, actor: str | None, *objects: str) -> tuple:
    """A deed as expected: its kind, doer (None: not said) and the names it was done to, in any order."""
    return kind, actor, tuple(sorted(objects))


# (question, the deed that must come first, the one that must come second) for the answer to be yes
ORDER: list[tuple[str, tuple, tuple]] = [
    ("Did Carol open the fridge before Dan went into the kitchen?", D("open", "Carol", "fridge"),
     D("enter", "Dan", "kitchen")),
    ("Was the red mug picked up after Carol went into the office?", D("enter", "Carol", "office"),
     D("pick", None, "red mug")),
    ("Had Dan already grabbed the grey keys when Carol came into the bedroom?", D("pick", "Dan", "grey keys"),
     D("enter", "Carol", "bedroom")),
    ("Carol entered the living room; did Dan open the fridge later on?", D("enter", "Carol", "living room"),
     D("open", "Dan", "fridge")),
]


# written after the fixes for the sets above, with other names, and checked once: the parser was not fixed on them
CHECK_NAMES = Names(things=("yellow umbrella", "black phone", "white charger"), people=("Priya", "Tom"),
                    rooms=("hallway", "bathroom", "study", "kitchen"), furniture=("wardrobe", "cupboard", "armchair",
                                                                                    "shelf"))
CHECK: list[tuple[str, str, tuple]] = [
    ("Where was my black phone about three minutes ago?", "where_at", ("black phone", "00:01:10")),
    ("Ninety seconds into the recording, where was the yellow umbrella?", "where_at", ("yellow umbrella", "00:01:30")),
    ("At 2:45, which room had the white charger in it?", "where_at", ("white charger", "00:02:45")),
    ("Around the 1-minute mark, in what room could the black phone be found?", "where_at", ("black phone", "00:01:00")),
    ("So where exactly was the yellow umbrella at 00:00:40?", "where_at", ("yellow umbrella", "00:00:40")),
    ("In which spot was the white charger 45 seconds in?", "where_at", ("white charger", "00:00:45")),
    ("Where did the black phone happen to be at 3:05?", "where_at", ("black phone", "00:03:05")),
    ("What did Priya say regarding the black phone?", "what_said", ("Priya", "black phone")),
    ("Tom said something about the wardrobe earlier; what exactly?", "what_said", ("Tom", "wardrobe")),
    ("What was Priya's comment on the yellow umbrella?", "what_said", ("Priya", "yellow umbrella")),
    ("How did Tom describe the white charger?", "what_said", ("Tom", "white charger")),
    ("What were Priya's thoughts on the armchair?", "what_said", ("Priya", "armchair")),
    ("Remind me, what did Tom ask about the black phone?", "what_said", ("Tom", "black phone")),
    ("What did Priya think about the study?", "what_said", ("Priya", "study")),
    ("Priya asked Tom to get her something. Which room is that thing in now?", "requested", ("Priya", "Tom")),
    ("Where's the thing Tom wanted Priya to fetch?", "requested", ("Tom", "Priya")),
    ("What Priya put down last, where did it end up?", "last_put_object", ("Priya",)),
    ("Where is whatever Tom dropped most recently?", "last_put_object", ("Tom",)),
    ("Tom talked about something at 1:10; which room is it in now?", "mentioned_where", ("Tom", "00:01:10")),
    ("Where is the thing Priya mentioned a minute and a half ago?", "mentioned_where", ("Priya", "00:02:40")),
    ("Which room was the black phone in when Priya talked about it at 0:55?", "mentioned_room",
     ("black phone", "Priya", "00:00:55")),
    ("Tom brought up the yellow umbrella at 2:20 - where was the umbrella right then?", "mentioned_room",
     ("yellow umbrella", "Tom", "00:02:20")),
    ("Who moved the thing Priya talked about at 1:10 last?", "mentioned_mover", ("Priya", "00:01:10")),
    ("Tom mentioned something at the two-minute mark; who was the last to move it?", "mentioned_mover",
     ("Tom", "00:02:00")),
    ("When did Tom last walk into the bathroom?", "when_enter", ("last", "Tom", "bathroom")),
    ("How many times did somebody open the wardrobe?", "count_open", ("wardrobe",)),
    ("Who was the last one to open the cupboard?", "who_opened", ("cupboard",)),
    ("What time was the cupboard first opened?", "when_open", ("first", "cupboard")),
]


# a moment of the recording named instead of a clock time: (question, intent, the thing asked about, relation, the
# moment: a deed D(...) or ("said", speaker, topic))
MOMENTS: list[tuple[str, str, str, str, tuple]] = [
    ("Where was the red mug when Carol opened the fridge?", "where_at", "red mug", "at", D("open", "Carol", "fridge")),
    ("Just before Dan picked it up, where was the blue notebook?", "where_at", "blue notebook", "before",
     D("pick", "Dan", "blue notebook")),
    ("Where were the grey keys right after Carol walked into the kitchen?", "where_at", "grey keys", "after",
     D("enter", "Carol", "kitchen")),
    ("Where was the green bottle at the moment someone put it on the desk?", "where_at", "green bottle", "at",
     D("put", None, "green bottle", "desk")),
    ("Just before Carol put the blue notebook on the sofa, where was it?", "where_at", "blue notebook", "before",
     D("put", "Carol", "blue notebook", "sofa")),
    ("In what room was the red mug shortly before Dan opened the bookshelf?", "where_at", "red mug", "before",
     D("open", "Dan", "bookshelf")),
    ("Which room was the red mug in when Carol talked about it?", "mentioned_room", "red mug", "at",
     ("said", "Carol", "red mug")),
    ("When Dan mentioned the green bottle, which room was the bottle in?", "mentioned_room", "green bottle", "at",
     ("said", "Dan", "green bottle")),
]


# written last, after every fix, with other names again, and checked once (21 of 22 at the check: "a couple of
# minutes ago" was not read; "a couple of" is a number since). Asked at NOW; a moment's clock is empty ("") until
# the answerer finds the moment's time.
CHECK2_NAMES = Names(things=("silver laptop", "orange towel", "purple pen"), people=("Maya", "Leo"),
                     rooms=("dining room", "bathroom", "hall"), furniture=("dresser", "counter", "bench"))
CHECK2: list[tuple[str, str, tuple]] = [
    ("Where did the silver laptop get to at 1:45?", "where_at", ("silver laptop", "00:01:45")),
    ("Roughly two and a half minutes in, where was the orange towel?", "where_at", ("orange towel", "00:02:30")),
    ("What room had the purple pen a couple of minutes ago?", "where_at", ("purple pen", "00:02:10")),
    ("Where exactly was the silver laptop at the 4-minute mark?", "where_at", ("silver laptop", "00:04:00")),
    ("Which part of the home was the orange towel in 20 seconds ago?", "where_at", ("orange towel", "00:03:50")),
    ("What did Maya say about the dresser?", "what_said", ("Maya", "dresser")),
    ("What was Leo's opinion of the purple pen?", "what_said", ("Leo", "purple pen")),
    ("Did Maya comment on the silver laptop? What did she say?", "what_said", ("Maya", "silver laptop")),
    ("What were Leo's exact words regarding the counter?", "what_said", ("Leo", "counter")),
    ("How did Maya talk about the orange towel?", "what_said", ("Maya", "orange towel")),
    ("What did Leo want Maya to get him? Where is it now?", "requested", ("Leo", "Maya")),
    ("The thing Maya was asked to bring by Leo - which room is it in?", "requested", ("Leo", "Maya")),
    ("Which room did the last thing Leo put down end up in?", "last_put_object", ("Leo",)),
    ("Maya talked about something at 2:15; where has it got to now?", "mentioned_where", ("Maya", "00:02:15")),
    ("Who most recently moved whatever Leo brought up at 1:05?", "mentioned_mover", ("Leo", "00:01:05")),
    ("At 0:35 Maya mentioned the purple pen - in which room was the pen at that time?", "mentioned_room",
     ("purple pen", "Maya", "00:00:35")),
    ("Where was the orange towel when Leo opened the dresser?", "where_at", ("orange towel", "")),
    ("Right before Maya picked up the silver laptop, which room was it in?", "where_at", ("silver laptop", "")),
    ("In which room was the purple pen when Leo spoke about it?", "mentioned_room", ("purple pen", "Leo", "")),
    ("When did Maya last go into the bathroom?", "when_enter", ("last", "Maya", "bathroom")),
    ("How many times did Leo walk into the hall?", "count_enter", ("Leo", "hall")),
    ("Who last opened the dresser?", "who_opened", ("dresser",)),
]
