-- A progress update may carry a measure's value as a lead counted it ("22 of 31 schools" on a
-- date) and a new due date with its reason, proposed by a lead or agreed by an analyst; both are
-- kept as JSON beside the update's words (lantern_core::plans::Reading and DueChange). An agreed
-- due date becomes the action's own and is kept apart from the imported words, so the action
-- reads as imported with its due date moved.
ALTER TABLE action_updates ADD COLUMN detail TEXT;
ALTER TABLE plan_actions ADD COLUMN due DATE;
