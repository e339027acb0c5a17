-- A decision is written by one statement. When one of its checks fails (a task's version moved, a
-- reminder was changed by someone else), this raises serialization_failure inside that statement, so
-- nothing of it is written even outside an explicit transaction, and the writer retries the command.
CREATE FUNCTION tasklane_guard(ok boolean, what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION USING ERRCODE = 'serialization_failure', MESSAGE = what;
  END IF;
  RETURN true;
END
$$;
