// Translation unit that carries the precompiled headers (cmake/Lesson.cmake).
