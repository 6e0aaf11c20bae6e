"""The self-check questions answer what the kernel does (specification §9 examples),
give immediate feedback, and reject bad set-ups with a clear error."""

import pytest

from mapletree.core.constants import MT_FLAGS_ALLOC_RANGE, ULONG_MAX
from mapletree.exercises import (ChoiceQuestion, ExerciseError, LeakQuestion, NextStepQuestion,
                                 NodeCountQuestion, Quiz, Recipe, StoreTypeQuestion,
                                 WalkQuestion, clear_cost_table, group_hex, layout_text,
                                 measure, transient_failure_demo)

SEQ7 = Recipe(ops=(("seq", 7),))
SEQ20 = Recipe(ops=(("seq", 20),))


@pytest.mark.parametrize("recipe, op, store_type, allocated", [
    (Recipe(ops=(("seq", 3),)), ("store", 40, 45, "v4"), "append", 0),            # 9.8
    (SEQ7, ("store", 80, 85, "v8"), "split_store", 3),                              # 9.9
    (Recipe(ops=(("seq", 20), ("erase", 90))), ("erase", 100), "rebalance", 3),      # 9.13
    (SEQ20, ("store", 85, 88, None), "spanning_store", 7),                           # 9.14
    (SEQ20, ("store", 42, 42, None), "split_store", 5),                              # 9.17
    (SEQ20, ("store", 206, 300, "v77"), "append", 0),                                # 9.20
    (Recipe(ops=(("seq", 20), ("rcu", True))), ("store", 91, 91, "v77"), "node_store", 1),
    (SEQ20, ("store", 100, 105, "v88"), "exact_fit", 0),
])
def test_store_type_and_node_count_follow_the_kernel(recipe, op, store_type, allocated):
    q = StoreTypeQuestion(recipe, op)
    assert q.answer == store_type
    assert q.check(store_type).correct
    wrong = next(o for o in q.options if o != store_type)
    fb = q.check(wrong)
    assert not fb.correct and store_type in fb.message
    n = NodeCountQuestion(recipe, op)
    assert n.answer == allocated
    assert measure(recipe, op)["allocated"] == allocated


def test_split_layout_matches_example_9_9():
    t = SEQ7.build()
    t.store_range(80, 85, "v8")
    assert layout_text(t).splitlines() == [
        "range_64 [0-MAX] e=1 piv=[55]",
        "  leaf [0-55] e=9: 0-9:- 10-15:v1 16-19:- 20-25:v2 26-29:- 30-35:v3 36-39:- 40-45:v4 46-49:- 50-55:v5",
        "  leaf [56-MAX] e=6: 56-59:- 60-65:v6 66-69:- 70-75:v7 76-79:- 80-85:v8 86-MAX:-",
    ]


def test_next_step_reads_the_recorded_events():
    q = NextStepQuestion(SEQ7, ("store", 80, 85, "v8"), step=2)
    assert q.answer == "mas_split"
    assert q.so_far()[0].startswith("mas_wr_store_type:")
    assert "mas_split" in q.options
    with pytest.raises(ExerciseError):
        NextStepQuestion(SEQ7, ("store", 80, 85, "v8"), step=99).step


def test_walk_question_reports_the_whole_slot_range():
    rec = Recipe(ops=(("seq", 20),), flags=MT_FLAGS_ALLOC_RANGE)
    assert WalkQuestion(rec, 72, [(72, 72)]).answer == (70, 75)
    assert WalkQuestion(rec, 68, [(68, 68)]).answer == (66, 69)
    assert WalkQuestion(rec, 500, []).answer == (206, ULONG_MAX)


def test_leak_question_runs_the_fork_designs():
    q = LeakQuestion.for_failure(("vma_dup", "at", "V6"),
                                 designs=("v2-marker", "6.8-marker", "7.0-recovery"))
    assert q.answer == "v2-marker"
    assert q.outcomes()["6.8-marker"] == ["CLEAN"]
    assert "vm_area_dup() fails at V6" in q.text()
    q2 = LeakQuestion.for_failure("F10", designs=("6.8-marker", "7.0-recovery"))
    assert q2.answer == "none of them"


def test_quiz_scores_first_tries_and_text_has_no_answer():
    a = StoreTypeQuestion(SEQ7, ("store", 80, 85, "v8"))
    b = NodeCountQuestion(SEQ7, ("store", 80, 85, "v8"))
    quiz = Quiz([a, b], title="T")
    fbs = quiz.check_all(["split_store", 2])
    assert [f.correct for f in fbs] == [True, False]
    assert "T: 2 questions" in quiz.text()
    assert "split_store" in quiz.text()          # as an option...
    assert "Correct" not in quiz.text()          # ...but no verdict


def test_widget_feedback_is_immediate():
    pytest.importorskip("ipywidgets")
    q = StoreTypeQuestion(SEQ7, ("store", 80, 85, "v8"))
    quiz = Quiz([q])
    box = q.widget()
    head, row, feedback = box.children
    button = next(b for b in row.children if b.description == "split_store")
    button.click()
    assert "Correct" in feedback.value
    wrong = next(b for b in row.children if b.description == "append")
    wrong.click()
    assert "Not quite" in feedback.value and "split_store" in feedback.value
    assert "1 of 1 answered, 1 right" in quiz.score_text()


def test_choice_question_refuses_an_answer_outside_its_options():
    q = ChoiceQuestion("?", [1, 2], lambda: (3, "three"))
    with pytest.raises(ExerciseError):
        q.answer
    with pytest.raises(ExerciseError):
        ChoiceQuestion("?", [1, 2], lambda: (1, "")).check(5)


def test_bad_recipes_and_ops_raise():
    with pytest.raises(ExerciseError):
        StoreTypeQuestion("seq(3)", ("store", 1, 2, "x"))
    with pytest.raises(ExerciseError):
        StoreTypeQuestion(SEQ7, ("load", 1))
    with pytest.raises(ExerciseError):
        Recipe(ops=(("bogus", 1),)).build()
    with pytest.raises(ExerciseError):
        NodeCountQuestion(SEQ7, ("store", 80, 85, "v8"), measure="bytes")


def test_dontcopy_helpers():
    rows = {r["case"]: r for r in clear_cost_table()}
    assert rows["V4 between two VMAs (reference process)"]["allocated"] == 0
    assert rows["V4 ends its leaf, a hole before it (variant 'gap')"]["store_type"] == "spanning_store"
    nowait, gfp = transient_failure_demo()
    assert "fails -ENOMEM" in nowait and "holds V4" in nowait
    assert "succeeds" in gfp and "holds NULL" in gfp


def test_group_hex():
    assert group_hex("at 0x7f0000400000 and 0x0") == "at 0x7f00_0040_0000 and 0x0"


def test_failure_next_question_follows_each_design():
    from mapletree.exercises import FAILURE_MOVES, FailureNextQuestion
    fail = ("vma_dup", "at", "V6")
    assert FailureNextQuestion("6.8-marker", fail).answer == FAILURE_MOVES[0]
    assert FailureNextQuestion("7.0-recovery", fail).answer == FAILURE_MOVES[1]
    assert FailureNextQuestion("v2-marker:posted", fail).answer == FAILURE_MOVES[2]
    with pytest.raises(ExerciseError):
        FailureNextQuestion("6.8-marker", None).answer
