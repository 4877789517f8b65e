"""Finding the person: which square of the frame the pose model looks at, and whose.

- ``detector``: MediaPipe's BlazePose person detector (one pass, tiles for small people) and
  the upright crop each detection gives.
- ``search``: the people of one frame (the detector, the window search as a fallback), each
  posed, present or not, and the choice among them by a rule (``auto``).
- ``track``: one person followed through a video (``track``), lost and found again by their look.
- ``people``: everyone in view followed with a stable id (``--people all``).
- ``choice``: whom to follow (a rule or a point); ``walker``: who walks across a recorded clip.
- ``crop`` (a pose's crop, distances between people) and ``appearance`` (a person's colours)
  serve them all; ``localiser`` is the interface and the factory the analysis calls.
"""
