// Questions and answers of a distributed search (issue 12) as text, the form MPI ranks exchange: a question
// names a configuration (accuracy) or a layer and its widths with hint mappings (mapping); an answer holds
// the figures bit-exactly (doubles in hexadecimal) and, for a mapping, the mapping itself, which the
// receiving rank evaluates again with its own architecture: an answer that does not reproduce the energy
// and cycles the sender computed is refused, so that ranks that read different files cannot mix answers.
#pragma once

#include "search/codesign.h"

#include <string>

namespace bitloop::search
{

std::string encodeQuestion(const Question &q);
// std::invalid_argument naming what is malformed, or a layer the spec's network lacks.
Question decodeQuestion(const std::string &text, const CodesignSpec &spec);

std::string encodeAnswer(const Question &q, const Answer &a);
// std::invalid_argument when malformed, or when a mapping does not evaluate, here, to the figures stated.
Answer decodeAnswer(const std::string &text, const Question &q, const CodesignSpec &spec);

} // namespace bitloop::search
